package org.maespark.cli;

import java.io.PrintWriter;
import org.maespark.command.CommandErrors;
import org.maespark.data.DataPrepCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The one entry point, under {@code spark-submit} or {@code deploy/bin/mae}: {@code data-prep |
 * pretrain | evaluate | inspect | export | import} ({@code data-prep} is data-prep's own command
 * class). Bad arguments, unknown config keys and bad values end with exit code 1 and one line
 * naming the problem, before Spark starts; {@code --verbose} adds the stack trace.
 */
@Command(
    name = "mae",
    mixinStandardHelpOptions = true,
    description = "Masked Autoencoder pretraining on Apache Spark.",
    subcommands = {
      PretrainCommand.class,
      EvaluateCommand.class,
      InspectCommand.class,
      ExportCommand.class,
      ImportCommand.class
    })
public final class Main implements Runnable {
  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        new CommandLine(this),
        "a command is required: data-prep, pretrain, evaluate, inspect, export or import");
  }

  public static void main(String[] args) {
    CommandErrors.exit(execute(args));
  }

  /** Runs the command line and returns the exit code (0 ok, 1 any error). */
  public static int execute(String... args) {
    return execute(null, args);
  }

  /** As {@link #execute(String...)}, errors to {@code err} (null: standard error). */
  public static int execute(PrintWriter err, String... args) {
    return execute(null, err, args);
  }

  /** As {@link #execute(String...)}, output and help to {@code out}, errors to {@code err}. */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.addSubcommand("data-prep", new DataPrepCommand());
    if (out != null) {
      cli.setOut(out);
    }
    if (err != null) {
      cli.setErr(err);
    }
    // picocli would take an unknown word before --help as nothing and print the top-level help
    for (String a : args) {
      if (!a.startsWith("-")) {
        if (!cli.getSubcommands().containsKey(a)) {
          cli.getErr()
              .println(
                  "mae: unknown command '"
                      + a
                      + "'; commands: "
                      + String.join(", ", cli.getSubcommands().keySet()));
          cli.getErr().flush();
          return 1;
        }
        break;
      }
    }
    return CommandErrors.run(cli, "mae", args);
  }
}
