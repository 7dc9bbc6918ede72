package org.maespark.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The application jar on YARN: Hadoop's MiniYARNCluster (ResourceManager + one NodeManager) over a
 * MiniDFSCluster, the jar submitted with {@code deploy/bin/mae-submit --master yarn} in client
 * mode; Spark uploads it to HDFS and YARN starts the ApplicationMaster and two executors in
 * containers, as on a real cluster.
 */
class YarnClusterIT {

  static final Path JAR = StandaloneClusterIT.JAR;
  static final Path REPO = StandaloneClusterIT.REPO;
  static final Path SPARK_HOME = StandaloneClusterIT.SPARK_HOME;

  static Path work;
  static MiniDFSCluster dfs;
  static MiniYARNCluster yarn;
  static Path confDir;

  @BeforeAll
  static void startYarn() throws Exception {
    work = Path.of("target", "yarn-it").toAbsolutePath();
    Files.createDirectories(work);
    Configuration hdfsConf = new HdfsConfiguration();
    hdfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, work.resolve("dfs").toString());
    dfs = new MiniDFSCluster.Builder(hdfsConf).numDataNodes(1).build();
    dfs.waitActive();

    YarnConfiguration conf = new YarnConfiguration(dfs.getConfiguration(0));
    // Room for the ApplicationMaster and two 1 GiB executors (+ overhead) on one NodeManager.
    conf.setInt(YarnConfiguration.NM_PMEM_MB, 8192);
    conf.setInt(YarnConfiguration.NM_VCORES, 4);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
    conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    conf.setFloat(
        YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100.0f); // CI disks are full-ish
    // The capacity scheduler's one-queue setup (capacity-scheduler.xml is not on this classpath).
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
    conf.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
    yarn = new MiniYARNCluster("mae-spark", 1, 1, 1);
    yarn.init(conf);
    yarn.start();
    Configuration live = yarn.getConfig();
    Instant deadline = Instant.now().plusSeconds(60);
    while (live.get(YarnConfiguration.RM_ADDRESS).endsWith(":0")) {
      assertTrue(Instant.now().isBefore(deadline), "ResourceManager did not get an address");
      Thread.sleep(100);
    }
    // What HADOOP_CONF_DIR holds on a gateway machine (minus MiniDFSCluster's test-only rack
    // mapping, whose class is not on a client's classpath).
    live = new Configuration(live);
    live.unset("net.topology.node.switch.mapping.impl");
    confDir = Files.createDirectories(work.resolve("hadoop-conf"));
    for (String site : List.of("core-site.xml", "hdfs-site.xml", "yarn-site.xml")) {
      try (OutputStream out = Files.newOutputStream(confDir.resolve(site))) {
        live.writeXml(out);
      }
    }
  }

  @AfterAll
  static void stopYarn() {
    if (yarn != null) {
      yarn.stop();
    }
    if (dfs != null) {
      dfs.shutdown();
    }
  }

  @Test
  void clusterCheckRunsInYarnContainers() throws Exception {
    String name = "yarn-cluster-check";
    Instant start = Instant.now();
    Process p =
        submit(name, "org.maespark.dist.ClusterCheck", List.of("--num-executors", "2"), "4");
    int rc = await(p, name);
    String log = Files.readString(work.resolve(name + ".log"));
    assertEquals(0, rc, name + ":\n" + tail(log));
    assertTrue(log.contains("4 tasks on 2 executor JVMs"), tail(log));
    assertTrue(log.contains("cluster check passed"), tail(log));
    // Spark staged the application jar on HDFS, as it does on a real YARN cluster.
    FileSystem fs = dfs.getFileSystem();
    assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/user")), "staging under /user");
    System.out.printf(
        "YARN cluster check: %.0f s%n", Duration.between(start, Instant.now()).toMillis() / 1e3);
  }

  private static Process submit(String name, String mainClass, List<String> extra, String... app)
      throws IOException {
    String javaHome = System.getProperty("java.home");
    List<String> cmd = new ArrayList<>();
    cmd.add(REPO.resolve("deploy/bin/mae-submit").toString());
    cmd.addAll(
        List.of(
            "--master",
            "yarn",
            "--deploy-mode",
            "client",
            "--driver-memory",
            "1g",
            "--executor-memory",
            "1g",
            "--executor-cores",
            "1",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.driver.bindAddress=127.0.0.1",
            // The NodeManager runs on this host: point containers at the Spark jars in place
            // instead of uploading 213 MB per submission (spark.yarn.jars with local:).
            "--conf",
            "spark.yarn.jars=local:" + SPARK_HOME.resolve("jars") + File.separator + "*",
            "--conf",
            "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome,
            "--conf",
            "spark.executorEnv.JAVA_HOME=" + javaHome));
    cmd.addAll(extra);
    cmd.add("--");
    cmd.addAll(List.of(app));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(work.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", SPARK_HOME.toString());
    pb.environment().put("HADOOP_CONF_DIR", confDir.toString());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("MAE_JAR", JAR.toString());
    pb.environment().put("MAE_MAIN", mainClass);
    return pb.start();
  }

  private static int await(Process p, String name) throws Exception {
    if (!p.waitFor(StandaloneClusterIT.JOB_LIMIT_S, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError(
          name + " hung; log:\n" + tail(Files.readString(work.resolve(name + ".log"))));
    }
    return p.exitValue();
  }

  private static String tail(String log) {
    return log.length() <= 8000 ? log : log.substring(log.length() - 8000);
  }
}
