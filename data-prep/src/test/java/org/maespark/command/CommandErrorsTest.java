package org.maespark.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
  void s3ErrorsKeepTheirTextAndStatusWithoutTheSdkNoise() {
    // as s3a 3.3.4 words them against s3proxy (S3ObjectStoreIT shows them end to end)
    String missing =
        "cannot read input s3a://b/d: `s3a://b/d': getFileStatus on s3a://b/d:"
            + " com.amazonaws.services.s3.model.AmazonS3Exception: The specified bucket does not"
            + " exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket; Request ID:"
            + " 44F9; S3 Extended Request ID: null; Proxy: null), S3 Extended Request ID:"
            + " null:NoSuchBucket: The specified bucket does not exist (Service: Amazon S3; Status"
            + " Code: 404; Error Code: NoSuchBucket; Request ID: 44F9; Proxy: null)";
    assertEquals(
        "cannot read input s3a://b/d: `s3a://b/d': getFileStatus on s3a://b/d:"
            + " The specified bucket does not exist (S3 404 NoSuchBucket)",
        CommandErrors.oneLine(new IOException(missing)));
    String denied =
        "cannot check s3a://b/c: s3a://b/c: getFileStatus on s3a://b/c:"
            + " com.amazonaws.services.s3.model.AmazonS3Exception: Forbidden (Service: Amazon S3;"
            + " Status Code: 403; Error Code: 403 Forbidden; Request ID: 44F9; S3 Extended Request"
            + " ID: null; Proxy: null), S3 Extended Request ID: null:403 Forbidden";
    String line = CommandErrors.oneLine(new IOException(denied));
    assertTrue(
        line.startsWith(
            "cannot check s3a://b/c: s3a://b/c: getFileStatus on s3a://b/c: Forbidden"
                + " (S3 403); check the credentials"),
        line);
    assertEquals("no S3 here", CommandErrors.oneLine(new IOException("no S3 here")));
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

  /** Inside YARN's ApplicationMaster a successful main returns; everything else exits. */
  @Test
  void mainReturnsAfterSuccessOnlyInsideTheYarnApplicationMaster() {
    java.util.Properties am = new java.util.Properties();
    am.setProperty("spark.yarn.app.id", "application_1_0001");
    java.util.Properties elsewhere = new java.util.Properties();
    assertFalse(CommandErrors.mustExit(0, am));
    assertTrue(CommandErrors.mustExit(1, am));
    assertTrue(CommandErrors.mustExit(0, elsewhere));
    assertTrue(CommandErrors.mustExit(1, elsewhere));
  }
}
