package org.maespark.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shaded application jar on a real Spark standalone cluster: a master and two single-core
 * workers as separate JVMs on loopback, jobs sent by {@code spark-submit} with the settings in
 * {@code deploy/conf/mae-spark.conf}, through {@code deploy/bin/mae-submit} and the Spark home's
 * {@code bin/spark-submit} (Spark's own launcher).
 */
class StandaloneClusterIT {

  static final Path JAR = Path.of(System.getProperty("mae.dist.jar"));
  static final Path REPO = Path.of(System.getProperty("mae.repo.root"));
  static final Path SPARK_HOME = Path.of(System.getProperty("mae.spark.home"));
  static final List<String> OPENS =
      Arrays.asList(System.getProperty("mae.jvm.opens").trim().split("\\s+"));

  static StandaloneCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    Path work = Path.of("target", "cluster-it").toAbsolutePath();
    cluster = StandaloneCluster.start(SPARK_HOME, work, OPENS, 2, 1);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void clusterCheckRunsOnBothExecutorsWithKryo() throws Exception {
    Process submit =
        cluster.submit(
            "cluster-check",
            REPO.resolve("deploy/bin/mae-submit"),
            Map.of("MAE_JAR", JAR.toString(), "MAE_MAIN", "org.maespark.dist.ClusterCheck"),
            SMALL_EXECUTORS,
            List.of("4"));
    int rc = await(submit, "cluster-check", 240);
    String log = Files.readString(cluster.logFile("cluster-check"));
    assertEquals(0, rc, "mae-submit exit code; see " + cluster.logFile("cluster-check"));
    assertTrue(
        log.contains("4 tasks on 2 executor JVMs"), "both executors ran tasks:\n" + tail(log));
    assertTrue(log.contains("org.nd4j.linalg.cpu.nativecpu.CpuBackend"), tail(log));
    assertTrue(log.contains("cluster check passed"), tail(log));
  }

  /** Executors small enough for two on a 2-core CI machine; no web UI ports. */
  static final List<String> SMALL_EXECUTORS =
      List.of("--conf", "spark.executor.memory=1536m", "--conf", "spark.ui.enabled=false");

  /** Waits for a submitted job; a job that outlives the limit is killed and the test fails. */
  static int await(Process p, String name, int seconds) throws InterruptedException, IOException {
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError(
          name
              + " still running after "
              + seconds
              + " s (hang); log:\n"
              + tail(Files.readString(cluster.logFile(name))));
    }
    return p.exitValue();
  }

  static String tail(String log) {
    return log.length() <= 6000 ? log : log.substring(log.length() - 6000);
  }
}
