/** The command line: one {@code Main} with a class per subcommand. */
package org.maespark.cli;
