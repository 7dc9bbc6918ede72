package org.maespark.command;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.maespark.conf.ConfigException;
import picocli.CommandLine;

/**
 * The one error formatter of every entry point: any argument, configuration or run error ends with
 * exit code 1 and one line {@code <program>: <message>} on the error stream; the stack trace
 * follows only with {@code --verbose}.
 */
public final class CommandErrors {
  private CommandErrors() {}

  /**
   * Ends {@code main} with exit code {@code rc} -- except after a successful run inside YARN's
   * ApplicationMaster (the driver in cluster deploy mode, where Spark sets the system property
   * {@code spark.yarn.app.id}): there {@code main} must return, since the ApplicationMaster reports
   * SUCCEEDED only when the user class's {@code main} has returned (and then ends the JVM itself);
   * an exit before that, even with 0, leaves YARN to record the application as FAILED ("Shutdown
   * hook called before final status was reported"). A failed run exits with its code everywhere.
   */
  public static void exit(int rc) {
    if (mustExit(rc, System.getProperties())) {
      System.exit(rc);
    }
  }

  /** Whether {@link #exit} ends the JVM, in a JVM with these system properties. */
  static boolean mustExit(int rc, java.util.Properties system) {
    return rc != 0 || system.getProperty("spark.yarn.app.id") == null;
  }

  /** Installs the handlers on {@code cl}, for a run with {@code args}. */
  public static CommandLine install(CommandLine cl, String program, String... args) {
    // read from the arguments: a parameter error leaves no parsed options to ask
    boolean verbose = Arrays.asList(args).contains("--verbose");
    cl.setParameterExceptionHandler(
        (e, a) ->
            report(
                e.getCommandLine().getErr(),
                program,
                e.getMessage() + " (try --help)",
                e,
                verbose));
    cl.setExecutionExceptionHandler(
        (e, c, parsed) -> report(c.getErr(), program, oneLine(e), e, verbose));
    return cl;
  }

  /**
   * Installs the handlers and runs {@code args}; an argument holding a URI with a password ({@code
   * s3a://key:secret@bucket/...}) is refused first, before anything logs or saves it (Hadoop
   * refuses such URIs too, but only once the run has logged its configuration).
   */
  public static int run(CommandLine cl, String program, String... args) {
    for (String a : args) {
      Matcher m = PASSWORD_IN_URI.matcher(a);
      if (m.find()) {
        String masked = a.substring(0, m.start(1)) + "***" + a.substring(m.end(1));
        cl.getErr()
            .println(
                program
                    + ": "
                    + masked
                    + ": a password in a URI is not accepted; give credentials through the Hadoop"
                    + " configuration (fs.s3a.access.key, fs.s3a.secret.key) or the environment"
                    + " (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)");
        cl.getErr().flush();
        return 1;
      }
    }
    return install(cl, program, args).execute(args);
  }

  /** {@code scheme://user:password@}: group 1 is the password. */
  private static final Pattern PASSWORD_IN_URI =
      Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*://[^/@:\\s]*:([^/@\\s]+)@");

  private static int report(
      PrintWriter err, String program, String line, Throwable e, boolean verbose) {
    err.println(program + ": " + line);
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return 1;
  }

  /**
   * One line naming the problem: wrappers without a message of their own give way to their cause;
   * of a multi-line message (Spark's job failures carry whole stack traces) the first line; and the
   * cause's first line when the message does not already say it. Configuration errors carry their
   * own complete message.
   */
  public static String oneLine(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null
        && !(t instanceof ConfigException)
        && (t.getMessage() == null || t instanceof InvocationTargetException)) {
      t = t.getCause();
    }
    String msg =
        t instanceof FileSystemException f
            ? describe(f)
            : t.getMessage() == null ? t.getClass().getSimpleName() : firstLine(t.getMessage());
    Throwable cause = t.getCause();
    if (!(t instanceof ConfigException) && cause != null && cause.getMessage() != null) {
      String c = firstLine(cause.getMessage());
      if (!msg.contains(c)) {
        msg = msg + ": " + c;
      }
    }
    return shortenS3(msg);
  }

  /** The AWS SDK's description of an S3 error response: text, status, error code, request ids. */
  private static final Pattern AWS_S3_ERROR =
      Pattern.compile(
          "com\\.amazonaws\\.services\\.s3\\.model\\.AmazonS3Exception: (.*?)"
              + " \\(Service: [^;]*; Status Code: (\\d+); Error Code: ([^;]*);.*");

  /**
   * An S3 error as what went wrong and its status, without the SDK's class name, request ids and
   * the second copy s3a appends; a 403 says where the credentials come from (users' most common S3
   * mistake, and the response does not tell a wrong secret from a missing permission).
   */
  static String shortenS3(String msg) {
    Matcher m = AWS_S3_ERROR.matcher(msg);
    if (!m.find()) {
      return msg;
    }
    String status = m.group(2);
    String code = m.group(3).startsWith(status) ? "" : " " + m.group(3);
    String hint =
        status.equals("403")
            ? "; check the credentials (fs.s3a.access.key and fs.s3a.secret.key, or"
                + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and their permissions"
            : "";
    return msg.substring(0, m.start()) + m.group(1) + " (S3 " + status + code + ")" + hint;
  }

  /**
   * A file error as path and reason: Java's file exceptions often carry only the path as their
   * message ({@code /proc/x}), the reason being their class.
   */
  static String describe(FileSystemException e) {
    String reason = e.getReason();
    if (reason == null) {
      reason =
          e instanceof NoSuchFileException
              ? "no such file or folder"
              : e instanceof AccessDeniedException
                  ? "permission denied"
                  : e instanceof FileAlreadyExistsException
                      ? "already exists"
                      : e instanceof NotDirectoryException
                          ? "not a folder"
                          : e instanceof DirectoryNotEmptyException
                              ? "folder not empty"
                              : e.getClass().getSimpleName();
    }
    return (e.getFile() == null ? "" : e.getFile())
        + (e.getOtherFile() == null ? "" : " -> " + e.getOtherFile())
        + ": "
        + reason;
  }

  private static String firstLine(String s) {
    return s.lines().findFirst().orElse("");
  }
}
