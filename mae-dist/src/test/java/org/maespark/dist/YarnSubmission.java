package org.maespark.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.client.api.YarnClient;

/**
 * One {@code deploy/bin/mae-submit} to YARN as a running process: its output file, the YARN
 * application it created (found by its {@code --name}), and in cluster deploy mode the driver's
 * log, which is the ApplicationMaster container's stderr in the NodeManager's log folder. Every
 * wait has a deadline; a missed one ends the submission and its application and fails with the tail
 * of both logs, so a stalled run fails the test instead of hanging the build.
 */
final class YarnSubmission {

  private static final String AM_CLASS = "org.apache.spark.deploy.yarn.ApplicationMaster";
  private static final int TAIL_CHARS = 8000;

  final String name;
  final Path log;
  final Instant start = Instant.now();
  private final Process process;
  private final YarnClient yarn;
  private final List<Path> nodeManagerLogDirs;
  private String appId;

  YarnSubmission(
      String name, Process process, Path log, YarnClient yarn, List<Path> nodeManagerLogDirs) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.yarn = yarn;
    this.nodeManagerLogDirs = nodeManagerLogDirs;
  }

  /** Waits for the submission to end and returns its exit code. */
  int await(int limitS) throws Exception {
    if (!process.waitFor(limitS, TimeUnit.SECONDS)) {
      fail("still running after " + limitS + " s (hang)");
    }
    return process.exitValue();
  }

  /** Asserts the submission ended with exit code 0 within the limit. */
  void succeeds(int limitS) throws Exception {
    int rc = await(limitS);
    if (rc != 0) {
      throw new AssertionError(name + " exit code " + rc + "\n" + tails());
    }
  }

  double seconds() {
    return Duration.between(start, Instant.now()).toMillis() / 1e3;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The YARN application id of this submission ({@code application_<cluster>_<n>}). */
  String appId(int limitS) throws Exception {
    if (appId == null) {
      awaitTrue(limitS, "no YARN application named " + name, () -> report().isPresent());
      appId = report().orElseThrow().getApplicationId().toString();
    }
    return appId;
  }

  /**
   * The driver's output in cluster deploy mode: the current ApplicationMaster container's stderr
   * (the log) and stdout (what the command prints), those that exist yet.
   */
  List<Path> driverLogs() {
    try {
      Optional<ApplicationReport> r = report();
      if (r.isEmpty() || r.get().getCurrentApplicationAttemptId() == null) {
        return List.of();
      }
      ApplicationAttemptId attempt = r.get().getCurrentApplicationAttemptId();
      ContainerId am = yarn.getApplicationAttemptReport(attempt).getAMContainerId();
      if (am == null) {
        return List.of();
      }
      List<Path> found = new ArrayList<>();
      for (Path dir : nodeManagerLogDirs) {
        Path container = dir.resolve(r.get().getApplicationId().toString()).resolve(am.toString());
        for (String file : List.of("stderr", "stdout")) {
          if (Files.exists(container.resolve(file))) {
            found.add(container.resolve(file));
          }
        }
      }
      return found;
    } catch (Exception e) {
      return List.of(); // asked while failing: spark-submit's output still tells the story
    }
  }

  /** The driver's stderr and stdout so far, one after the other ("" before there are any). */
  String driverLogText() throws IOException {
    StringBuilder s = new StringBuilder();
    for (Path p : driverLogs()) {
      s.append(Files.readString(p));
    }
    return s.toString();
  }

  /** How many containers this application has had (the NodeManager's log folders for them). */
  long containers() throws Exception {
    long n = 0;
    for (Path dir : nodeManagerLogDirs) {
      Path app = dir.resolve(appId(10));
      if (Files.isDirectory(app)) {
        try (var s = Files.list(app)) {
          n += s.filter(Files::isDirectory).count();
        }
      }
    }
    return n;
  }

  /** Waits until {@code condition} holds while the submission runs. */
  void awaitTrue(int limitS, String what, Check condition) throws Exception {
    Instant deadline = Instant.now().plusSeconds(limitS);
    while (!condition.holds()) {
      if (!process.isAlive()) {
        throw new AssertionError(
            name
                + " ended (exit "
                + process.exitValue()
                + ") while waiting: "
                + what
                + "\n"
                + tails());
      }
      if (Instant.now().isAfter(deadline)) {
        fail(what + " after " + limitS + " s");
      }
      Thread.sleep(200);
    }
  }

  /** The ApplicationMaster JVM (the driver in cluster deploy mode) of this application. */
  ProcessHandle applicationMaster(int limitS) throws Exception {
    String id = appId(limitS);
    awaitTrue(limitS, "no ApplicationMaster process of " + id, () -> processesOf(id, true) > 0);
    return ProcessHandle.allProcesses()
        .filter(h -> isOf(h, id, true))
        .findFirst()
        .orElseThrow(() -> new AssertionError("ApplicationMaster of " + id + " is gone"));
  }

  /** How many live JVMs belong to application {@code id} (only its ApplicationMaster if asked). */
  static long processesOf(String id, boolean amOnly) {
    return ProcessHandle.allProcesses().filter(h -> isOf(h, id, amOnly)).count();
  }

  private static boolean isOf(ProcessHandle h, String id, boolean amOnly) {
    // containers are started through a shell script: count the JVMs, not their parents
    String cmd = h.info().commandLine().orElse("");
    return cmd.contains(id) && cmd.contains("java") && (!amOnly || cmd.contains(AM_CLASS));
  }

  /** The tails of spark-submit's output and, where there is one, of the driver's container log. */
  String tails() throws IOException {
    StringBuilder s = new StringBuilder();
    s.append("--- ")
        .append(log)
        .append(" (spark-submit) ---\n")
        .append(tail(Files.readString(log)));
    for (Path driver : driverLogs()) {
      s.append("\n--- ")
          .append(driver)
          .append(" (driver) ---\n")
          .append(tail(Files.readString(driver)));
    }
    return s.toString();
  }

  private Optional<ApplicationReport> report() throws Exception {
    if (appId != null) {
      return yarn.getApplications().stream()
          .filter(r -> r.getApplicationId().toString().equals(appId))
          .findFirst();
    }
    return yarn.getApplications().stream().filter(r -> r.getName().equals(name)).findFirst();
  }

  /** Ends the submission and its YARN application, then fails with both logs' tails. */
  private void fail(String why) throws Exception {
    String logs = tails();
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    Optional<ApplicationReport> r = report();
    if (r.isPresent()) {
      yarn.killApplication(r.get().getApplicationId());
    }
    throw new AssertionError(name + ": " + why + "\n" + logs);
  }

  /** A condition polled by {@link #awaitTrue}. */
  interface Check {
    boolean holds() throws Exception;
  }

  private static String tail(String text) {
    return text.length() <= TAIL_CHARS ? text : text.substring(text.length() - TAIL_CHARS);
  }
}
