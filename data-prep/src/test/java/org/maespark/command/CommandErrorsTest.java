package org.maespark.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.maespark.conf.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Every entry point's errors: one line and exit code 1, the stack trace only with --verbose. */
class CommandErrorsTest {
  @Command(name = "t")
  static final class Failing implements Callable<Integer> {
    @Mixin GlobalOptions options;

    @Option(names = "--n", required = true)
    int n;

    @Override
    public Integer call() {
      options.settings().requireAllKnown(); // --set keys nobody reads are refused
      throw new UncheckedIOException("cannot read /x/y", new IOException("permission denied"));
    }
  }

  private static String[] run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Failing());
    cl.setErr(new PrintWriter(err));
    int rc = CommandErrors.install(cl, "prog", args).execute(args);
    return new String[] {Integer.toString(rc), err.toString()};
  }

  @Test
  void runErrorsAreOneLineWithTheirCause() {
    String[] r = run("--n", "1");
    assertEquals("1", r[0]);
    assertEquals("prog: cannot read /x/y: permission denied", r[1].trim());
  }

  @Test
  void configAndArgumentErrorsAreOneLine() {
    String[] r = run("--n", "1", "--set", "a.b=2");
    assertEquals("1", r[0]);
    assertTrue(r[1].startsWith("prog: unknown config key 'a.b'"), r[1]);
    assertEquals(1, r[1].lines().count(), r[1]);

    r = run("--set", "a.b=2");
    assertEquals("1", r[0]);
    assertTrue(r[1].startsWith("prog: Missing required option: '--n=<n>' (try --help)"), r[1]);
    assertEquals(1, r[1].lines().count(), r[1]);
  }

  @Test
  void verboseAddsTheStackTrace() {
    String[] r = run("--n", "1", "--verbose");
    assertEquals("1", r[0]);
    assertTrue(r[1].startsWith("prog: cannot read /x/y: permission denied\n"), r[1]);
    assertTrue(r[1].contains("at org.maespark.command.CommandErrorsTest$Failing.call"), r[1]);
  }

  @Test
  void wrappersWithoutTheirOwnMessageGiveWayToTheCause() {
    Exception e =
        new InvocationTargetException(new ConfigException("config key 'k' = 'v': bad\nmore"));
    assertEquals("config key 'k' = 'v': bad", CommandErrors.oneLine(e));
    assertEquals("first", CommandErrors.oneLine(new IllegalStateException("first\n\tat x.y(Z)")));
    assertEquals("NullPointerException", CommandErrors.oneLine(new NullPointerException()));
  }
}
