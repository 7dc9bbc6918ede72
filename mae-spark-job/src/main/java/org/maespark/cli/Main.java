package org.maespark.cli;

import java.io.PrintWriter;
import org.maespark.conf.ConfigException;
import org.maespark.data.DataPrepCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The one entry point, under {@code spark-submit} or {@code deploy/bin/mae}: {@code data-prep |
 * pretrain | evaluate | inspect | export} ({@code data-prep} is data-prep's own command class). Bad
 * arguments, unknown config keys and bad values end with exit code 1 and one line naming the
 * problem, before Spark starts; {@code --verbose} adds the stack trace.
 */
@Command(
    name = "mae",
    mixinStandardHelpOptions = true,
    description = "Masked Autoencoder pretraining on Apache Spark.",
    subcommands = {
      PretrainCommand.class,
      EvaluateCommand.class,
      InspectCommand.class,
      ExportCommand.class
    })
public final class Main implements Runnable {
  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        new CommandLine(this),
        "a command is required: data-prep, pretrain, evaluate, inspect or export");
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns the exit code (0 ok, 1 any error). */
  public static int execute(String... args) {
    return execute(null, args);
  }

  /** As {@link #execute(String...)}, errors to {@code err} (null: standard error). */
  public static int execute(PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.addSubcommand("data-prep", new DataPrepCommand());
    if (err != null) {
      cli.setErr(err);
    }
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    cli.setParameterExceptionHandler(
        (e, a) -> {
          e.getCommandLine().getErr().println("mae: " + e.getMessage());
          if (verbose) {
            e.printStackTrace(e.getCommandLine().getErr());
          }
          e.getCommandLine().getErr().flush();
          return 1;
        });
    cli.setExecutionExceptionHandler(
        (e, c, parsed) -> {
          PrintWriter w = c.getErr();
          w.println("mae: " + oneLine(e));
          if (verbose) {
            e.printStackTrace(w);
          }
          w.flush();
          return 1;
        });
    return cli.execute(args);
  }

  private static String oneLine(Throwable e) {
    Throwable t = e;
    // configuration and argument errors carry their own complete message
    while (t.getCause() != null && !(t instanceof ConfigException)) {
      if (t.getMessage() != null && !(t instanceof java.lang.reflect.InvocationTargetException)) {
        break;
      }
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return m.replace('\n', ' ');
  }
}
