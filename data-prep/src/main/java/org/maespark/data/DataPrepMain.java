package org.maespark.data;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Entry point of data-prep alone: {@code spark-submit --class org.maespark.data.DataPrepMain ...}
 * or plain {@code java}. Any error becomes exit code 1 and one line on stderr (stack trace with
 * --verbose).
 */
public final class DataPrepMain {
  private DataPrepMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Parses and runs; returns the exit code. */
  public static int run(String... args) {
    return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** As {@link #run(String...)}, printing to the given writers. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = commandLine(new DataPrepCommand());
    cl.setOut(out);
    cl.setErr(err);
    return cl.execute(args);
  }

  /** A command line whose argument and execution errors are one line and exit code 1. */
  public static CommandLine commandLine(DataPrepCommand command) {
    CommandLine cl = new CommandLine(command);
    cl.setErr(new PrintWriter(System.err, true));
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          err.println("data-prep: " + ex.getMessage() + " (try --help)");
          return 1;
        });
    cl.setExecutionExceptionHandler(
        (ex, line, parsed) -> {
          PrintWriter err = line.getErr();
          if (command.verbose()) {
            ex.printStackTrace(err);
          }
          err.println("data-prep: " + oneLine(ex));
          return 1;
        });
    return cl;
  }

  static String oneLine(Throwable t) {
    // Spark's job failures carry whole stack traces in their message: keep the first line
    String msg =
        t.getMessage() == null
            ? t.getClass().getSimpleName()
            : t.getMessage().lines().findFirst().orElse("");
    Throwable cause = t.getCause();
    if (cause != null && cause.getMessage() != null && !msg.contains(cause.getMessage())) {
      msg = msg + ": " + cause.getMessage().lines().findFirst().orElse("");
    }
    return msg;
  }
}
