package org.maespark.data;

import java.io.PrintWriter;
import org.maespark.command.CommandErrors;
import picocli.CommandLine;

/**
 * Entry point of data-prep alone: {@code spark-submit --class org.maespark.data.DataPrepMain ...}
 * or plain {@code java}. Any error becomes exit code 1 and one line on stderr (stack trace with
 * --verbose), as {@link CommandErrors} writes them for every command.
 */
public final class DataPrepMain {
  private DataPrepMain() {}

  public static void main(String[] args) {
    CommandErrors.exit(run(args));
  }

  /** Parses and runs; returns the exit code. */
  public static int run(String... args) {
    return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** As {@link #run(String...)}, printing to the given writers. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new DataPrepCommand());
    cl.setOut(out);
    cl.setErr(err);
    return CommandErrors.run(cl, "data-prep", args);
  }
}
