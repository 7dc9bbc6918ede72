package org.maespark.cli;

import picocli.CommandLine.Option;

/** {@code --verbose}: stack traces with errors ({@link Main} reads it from the arguments). */
final class VerboseOption {
  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;
}
