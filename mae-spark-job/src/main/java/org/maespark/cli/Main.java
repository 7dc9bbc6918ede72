package org.maespark.cli;

import java.io.PrintWriter;
import org.maespark.conf.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The one entry point, under {@code spark-submit} or {@code deploy/bin/mae}: {@code pretrain |
 * evaluate | inspect | export}. Bad arguments, unknown config keys and bad values end with exit
 * code 1 and one line naming the problem, before Spark starts; {@code --verbose} adds the stack
 * trace.
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
  @Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces of errors.")
  boolean verbose;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        new CommandLine(this), "a command is required: pretrain, evaluate, inspect or export");
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
