package org.maespark.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on loopback: one Master and {@code workers} Workers, each its own JVM
 * started from a Spark home assembled from Maven (mae-dist/spark-home), exactly as {@code
 * sbin/start-master.sh} and {@code sbin/start-worker.sh} would start them. Closing it stops every
 * JVM it started (executors included) and removes the Aeron directories those JVMs left in
 * /dev/shm.
 */
final class StandaloneCluster implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Path TEST_LOG4J =
      Path.of("src/test/resources/log4j2-cluster-it.properties").toAbsolutePath();

  private final Path sparkHome;
  private final Path workDir;
  private final List<String> jvmOpens;
  private final Set<Path> shmBefore;
  private final List<Process> daemons = new ArrayList<>();
  private final List<Process> workers = new ArrayList<>();
  private final int masterPort;

  private StandaloneCluster(Path sparkHome, Path workDir, List<String> jvmOpens) {
    this.sparkHome = sparkHome;
    this.workDir = workDir;
    this.jvmOpens = jvmOpens;
    this.shmBefore = aeronDirs();
    this.masterPort = freePort();
  }

  /** Starts a master and {@code workers} workers with {@code cores} cores and 3 GiB each. */
  static StandaloneCluster start(
      Path sparkHome, Path workDir, List<String> jvmOpens, int workers, int cores)
      throws IOException, InterruptedException {
    return start(sparkHome, workDir, jvmOpens, workers, cores, "3g");
  }

  /**
   * Starts a master and {@code workers} workers with {@code cores} cores and {@code memory} (a
   * worker's {@code --memory}, e.g. {@code 3g}: what its executors may claim) each.
   */
  static StandaloneCluster start(
      Path sparkHome, Path workDir, List<String> jvmOpens, int workers, int cores, String memory)
      throws IOException, InterruptedException {
    if (!Files.isDirectory(sparkHome.resolve("jars"))) {
      throw new IllegalStateException(
          "Spark home " + sparkHome + " has no jars/: build mae-dist/spark-home first");
    }
    Files.createDirectories(workDir);
    StandaloneCluster cluster = new StandaloneCluster(sparkHome, workDir, jvmOpens);
    try {
      Process master =
          cluster.daemon(
              "master",
              "org.apache.spark.deploy.master.Master",
              "--host",
              "127.0.0.1",
              "--port",
              Integer.toString(cluster.masterPort),
              "--webui-port",
              Integer.toString(freePort()));
      cluster.awaitLog(master, "master", "I have been elected leader");
      for (int i = 0; i < workers; i++) {
        String name = "worker-" + i;
        Path dir = Files.createDirectories(workDir.resolve(name));
        Process worker =
            cluster.daemon(
                name,
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--cores",
                Integer.toString(cores),
                "--memory",
                memory,
                "--work-dir",
                dir.toString(),
                "--webui-port",
                Integer.toString(freePort()),
                cluster.masterUrl());
        cluster.workers.add(worker);
        cluster.awaitLog(worker, name, "Successfully registered with master");
      }
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  Path workDir() {
    return workDir;
  }

  /**
   * Runs {@code deploy/bin/mae-submit} against this cluster in client mode (the driver runs in a
   * JVM under the returned process) with the Spark home's own {@code bin/spark-submit}. {@code
   * sparkArgs} go before {@code --}, {@code appArgs} after it. Output goes to {@code
   * <workDir>/<name>.log}.
   */
  Process submit(
      String name,
      Path maeSubmit,
      Map<String, String> env,
      List<String> sparkArgs,
      List<String> appArgs)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(maeSubmit.toString());
    cmd.addAll(
        List.of(
            "--master",
            masterUrl(),
            "--deploy-mode",
            "client",
            "--driver-memory",
            "1g",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.driver.bindAddress=127.0.0.1"));
    cmd.addAll(sparkArgs);
    cmd.add("--");
    cmd.addAll(appArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(logFile(name).toFile());
    environment(pb.environment());
    pb.environment().putAll(env);
    return pb.start();
  }

  Path logFile(String name) {
    return workDir.resolve(name + ".log");
  }

  /** Executor JVMs currently running under this cluster's workers. */
  List<ProcessHandle> executors() {
    List<ProcessHandle> out = new ArrayList<>();
    for (Process worker : workers) {
      worker
          .toHandle()
          .descendants()
          .filter(
              p ->
                  p.info()
                      .arguments()
                      .map(a -> Arrays.asList(a).contains(EXECUTOR_MAIN))
                      .orElse(false))
          .forEach(out::add);
    }
    return out;
  }

  static final String EXECUTOR_MAIN = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

  @Override
  public void close() {
    List<ProcessHandle> all = new ArrayList<>();
    for (Process daemon : daemons) {
      daemon.toHandle().descendants().forEach(all::add);
      all.add(daemon.toHandle());
    }
    all.forEach(ProcessHandle::destroy);
    Instant deadline = Instant.now().plusSeconds(15);
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(Math.max(1, Duration.between(Instant.now(), deadline).toMillis()), MILLIS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
    }
    // Aeron's embedded media drivers leave their directories behind (STACK.md).
    for (Path dir : aeronDirs()) {
      if (!shmBefore.contains(dir)) {
        deleteTree(dir);
      }
    }
  }

  private static final TimeUnit MILLIS = TimeUnit.MILLISECONDS;

  private Process daemon(String name, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin());
    cmd.add("-Xmx512m");
    cmd.addAll(jvmOpens);
    cmd.add("-cp");
    cmd.add(sparkHome.resolve("jars") + "/*");
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(logFile(name).toFile());
    environment(pb.environment());
    Process p = pb.start();
    daemons.add(p);
    return p;
  }

  private void environment(Map<String, String> env) {
    env.put("SPARK_HOME", sparkHome.toString());
    // Without it the launcher looks for a source build ("Cannot find any build directories").
    env.put("SPARK_SCALA_VERSION", "2.12");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("OMP_WAIT_POLICY", "PASSIVE");
    env.put("OPENBLAS_THREAD_TIMEOUT", "4");
    env.remove("SPARK_CONF_DIR");
    // mae-submit ships this instead of deploy/conf/log4j2.properties: the same configuration plus
    // TaskSetManager's lines, which show on which executor each task ran.
    env.put("MAE_LOG4J", TEST_LOG4J.toString());
  }

  private void awaitLog(Process p, String name, String marker)
      throws IOException, InterruptedException {
    Path log = logFile(name);
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!p.isAlive()) {
        throw new IllegalStateException(
            name + " exited with " + p.exitValue() + " before '" + marker + "'; see " + log);
      }
      if (Files.exists(log) && Files.readString(log).contains(marker)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException(
        name + " did not log '" + marker + "' within " + START_TIMEOUT + "; see " + log);
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Set<Path> aeronDirs() {
    Path shm = Path.of("/dev/shm");
    if (!Files.isDirectory(shm)) {
      return Set.of();
    }
    try (Stream<Path> s = Files.list(shm)) {
      return new HashSet<>(s.filter(p -> p.getFileName().toString().startsWith("aeron")).toList());
    } catch (IOException e) {
      return Set.of();
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted((a, b) -> b.getNameCount() - a.getNameCount())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort: another process may still hold it
                }
              });
    } catch (IOException e) {
      // best effort
    }
  }
}
