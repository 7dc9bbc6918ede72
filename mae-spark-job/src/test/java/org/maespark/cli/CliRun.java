package org.maespark.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * One run of the command line in this JVM: its exit code and what it wrote to stderr (stripped).
 */
record CliRun(int rc, String err) {
  static CliRun of(String... args) {
    StringWriter e = new StringWriter();
    int rc = Main.execute(new PrintWriter(e, true), args);
    return new CliRun(rc, e.toString().strip());
  }
}
