package org.maespark.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A command of the CLI ({@code org.maespark.cli.Main}) in a JVM of its own, with this test JVM's
 * classpath and options, its stdout and stderr in one log file: what a user's shell would run, and
 * a process a test can kill with SIGKILL. Every wait has a deadline and fails with the log's tail.
 */
public final class ChildJvm {
  private final Process process;
  private final Path log;
  private final String name;

  private ChildJvm(Process process, Path log, String name) {
    this.process = process;
    this.log = log;
    this.name = name;
  }

  /**
   * Starts {@code mainClass} with {@code args}; {@code jvmOptions} come after this JVM's own (so
   * they win), {@code env} is added to the environment. Output goes to {@code log}.
   */
  public static ChildJvm start(
      String name,
      Path log,
      List<String> jvmOptions,
      Map<String, String> env,
      String mainClass,
      List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-agentlib:jdwp")) {
        cmd.add(a);
      }
    }
    // failsafe passes its system properties inside the fork, not as options: the ones that matter
    for (String p :
        List.of("log4j2.configurationFile", "spark.driver.host", "spark.driver.bindAddress")) {
      if (System.getProperty(p) != null) {
        cmd.add("-D" + p + "=" + System.getProperty(p));
      }
    }
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return new ChildJvm(pb.start(), log, name);
  }

  /** Waits for the exit code; a run still going after {@code seconds} is killed and fails. */
  public int waitFor(int seconds) throws Exception {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      throw new AssertionError(
          name + " still running after " + seconds + " s, killed; its log:\n" + tail(log, 40));
    }
    return process.exitValue();
  }

  /** Waits for exit code 0. */
  public void succeeds(int seconds) throws Exception {
    int rc = waitFor(seconds);
    if (rc != 0) {
      throw new AssertionError(name + " exited with " + rc + "; its log:\n" + tail(log, 40));
    }
  }

  /**
   * The first log line {@code wanted} accepts; fails with the log's tail when the process ends
   * first or after {@code seconds}.
   */
  public String awaitLine(Predicate<String> wanted, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      for (String l : lines()) {
        if (wanted.test(l)) {
          return l;
        }
      }
      if (!process.isAlive()) {
        throw new AssertionError(
            name + " ended (" + process.exitValue() + ") first; its log:\n" + tail(log, 40));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            name + ": no such line after " + seconds + " s; its log:\n" + tail(log, 40));
      }
      Thread.sleep(500);
    }
  }

  /** SIGKILL: no shutdown hook, no finally block runs. */
  public void kill() throws Exception {
    process.destroyForcibly();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " still alive 60 s after SIGKILL");
    }
  }

  /** Kills the process if it still runs (test cleanup). */
  public void destroy() {
    process.destroyForcibly();
  }

  public Path log() {
    return log;
  }

  public String output() throws IOException {
    return Files.readString(log, StandardCharsets.ISO_8859_1);
  }

  private List<String> lines() throws IOException {
    return Files.readAllLines(log, StandardCharsets.ISO_8859_1);
  }

  /** The last {@code n} lines of {@code file} (empty if it is not there). */
  public static String tail(Path file, int n) {
    try {
      List<String> l = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
      return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
