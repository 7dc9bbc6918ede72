package org.maespark.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.model.SafeTensors;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The application jar on YARN: Hadoop's MiniYARNCluster (ResourceManager + one NodeManager) over a
 * MiniDFSCluster, every job submitted with {@code deploy/bin/mae-submit --master yarn}; Spark
 * uploads the jar to HDFS and YARN starts the ApplicationMaster and two executors in containers, as
 * on a real cluster. The cluster check in client deploy mode; then in cluster deploy mode (the
 * driver inside the ApplicationMaster, the preset shipped with {@code --files}) data-prep from an
 * image tree on HDFS, two epochs of pretraining with checkpoints on HDFS, {@code evaluate}, and a
 * second run whose ApplicationMaster is killed a few steps into epoch 2 and which, resubmitted with
 * {@code --resume auto}, ends with the uninterrupted run's weights and optimizer state.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class YarnClusterIT {

  static final Path JAR = StandaloneClusterIT.JAR;
  static final Path REPO = StandaloneClusterIT.REPO;
  static final Path SPARK_HOME = StandaloneClusterIT.SPARK_HOME;
  static final Path PRESET = StandaloneClusterIT.PRESET;

  /** A job that runs longer than this is a hang. */
  static final int JOB_LIMIT_S = 300;

  private static final ObjectMapper JSON = new ObjectMapper();

  static Path work;
  static MiniDFSCluster dfs;
  static MiniYARNCluster yarn;
  static YarnClient yarnClient;
  static List<Path> nodeManagerLogDirs;
  static Path confDir;
  static FileSystem fs;
  static String hdfs;
  static final StringBuilder REPORT = new StringBuilder();

  private static String dataset;
  private static AssertionError datasetFailure;
  private static Path uninterrupted;
  private static AssertionError uninterruptedFailure;

  @BeforeAll
  static void startYarn() throws Exception {
    work = Path.of("target", "yarn-it").toAbsolutePath();
    StandaloneClusterIT.deleteTree(work);
    Files.createDirectories(work);
    Configuration hdfsConf = new HdfsConfiguration();
    hdfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, work.resolve("dfs").toString());
    // Closing a file waits until the DataNode has reported its last block; the client first asks
    // again after 400 ms, which makes copying the 2,300 sample files take ~15 minutes (0.4 s a
    // file). Ask sooner and more often (10 ms, doubling, 14 tries: ~160 s before giving up). Goes
    // into
    // HADOOP_CONF_DIR below, so the jobs' own writes (shards, checkpoints) close as fast.
    hdfsConf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 10);
    hdfsConf.setInt("dfs.client.block.write.locateFollowingBlock.retries", 14);
    dfs = new MiniDFSCluster.Builder(hdfsConf).numDataNodes(1).build();
    dfs.waitActive();
    fs = dfs.getFileSystem();
    hdfs = fs.getUri().toString();

    YarnConfiguration conf = new YarnConfiguration(dfs.getConfiguration(0));
    // Room for the ApplicationMaster and two 1 GiB executors (+ overhead) on one NodeManager.
    // MiniYARNCluster gives its NodeManagers this key's value (default 4096) as their memory,
    // whatever NM_PMEM_MB says: at 4 GiB a cluster-mode driver (1408 MiB) left room for one
    // executor only.
    conf.setInt("yarn.minicluster.yarn.nodemanager.resource.memory-mb", 8192);
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
    // containers write their stdout/stderr under <log dir>/<application>/<container>/
    nodeManagerLogDirs =
        Arrays.stream(
                yarn.getNodeManager(0).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS))
            .map(d -> Path.of(d.startsWith("file:") ? java.net.URI.create(d).getPath() : d))
            .toList();
    yarnClient = YarnClient.createYarnClient();
    yarnClient.init(new YarnConfiguration(live));
    yarnClient.start();
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
  static void stopYarn() throws IOException {
    if (yarnClient != null) {
      yarnClient.stop();
    }
    if (yarn != null) {
      yarn.stop(); // the NodeManager kills the containers still running
    }
    if (dfs != null) {
      dfs.shutdown();
    }
    if (REPORT.length() > 0) {
      Files.writeString(work.resolve("report.txt"), REPORT);
      System.out.println("YARN test report:\n" + REPORT);
    }
  }

  @Test
  @Order(1)
  void clusterCheckRunsInYarnContainers() throws Exception {
    YarnSubmission check =
        submit(
            "yarn-cluster-check",
            "client",
            Map.of("MAE_MAIN", "org.maespark.dist.ClusterCheck"),
            List.of(),
            "4");
    check.succeeds(JOB_LIMIT_S);
    String log = Files.readString(check.log);
    assertTrue(log.contains("4 tasks on 2 executor JVMs"), check.tails());
    assertTrue(log.contains("cluster check passed"), check.tails());
    // Spark staged the application jar on HDFS, as it does on a real YARN cluster.
    assertTrue(fs.exists(hp("/user")), "staging under /user");
    REPORT.append(String.format("cluster check (client mode): %.0f s%n", check.seconds()));
  }

  @Test
  @Order(2)
  void dataPrepInClusterModeWritesADatasetOnHdfs() throws Exception {
    String out = dataset();
    assertTrue(fs.exists(hp(out + "/_SUCCESS")), out + " has no _SUCCESS");
    assertTrue(fs.exists(hp(out + "/manifest.json")), out + " has no manifest.json");
  }

  @Test
  @Order(3)
  void pretrainTwoEpochsThenEvaluateInClusterMode() throws Exception {
    Path ckpt = uninterrupted();
    JsonNode epoch2 = Checkpoints.epochRecord(ckpt, 2);
    assertTrue(epoch2.path("train_loss").isNumber(), "epoch 2 record: " + epoch2);

    String out = hdfs + "/eval";
    YarnSubmission eval =
        submitCluster(
            "yarn-evaluate",
            "evaluate",
            "--config",
            PRESET.getFileName().toString(),
            "--checkpoint",
            hdfs + "/ckpt-a",
            "--dataset",
            dataset(),
            "--output",
            out);
    eval.succeeds(JOB_LIMIT_S);
    JsonNode result;
    try (InputStream in = fs.open(hp(out + "/eval.json"))) {
      result = JSON.readTree(in);
    }
    assertEquals(2, result.path("epoch").asInt(), "evaluated the newest checkpoint: " + result);
    assertTrue(result.path("checkpoint").asText().endsWith("epoch-00002"), result.toString());
    for (String metric : List.of("val_loss", "knn_cls", "probe_cls", "knn_raw_pixels")) {
      assertTrue(result.path(metric).isNumber(), metric + " in eval.json: " + result);
    }
    assertTrue(fs.getFileStatus(hp(out + "/recon.png")).getLen() > 0, "recon.png written");
    REPORT.append(String.format("evaluate (cluster mode): %.0f s%n", eval.seconds()));
  }

  /**
   * The run of the previous test again, its ApplicationMaster -- the driver -- killed (SIGKILL)
   * once epoch 1's checkpoint is published and epoch 2 is three steps in. With one application
   * attempt YARN fails the application and the submission ends with a non-zero exit; resubmitted
   * unchanged ({@code --resume auto}), it continues from epoch 1's checkpoint and ends where the
   * uninterrupted run ended.
   */
  @Test
  @Order(4)
  void driverKilledMidEpochResumesToTheUninterruptedWeights() throws Exception {
    Path reference = uninterrupted();
    String ckpt = hdfs + "/ckpt-b";
    YarnSubmission run = submitCluster("yarn-pretrain-killed", pretrainArgs(ckpt));
    run.awaitTrue(JOB_LIMIT_S, "no " + ckpt + "/latest", () -> fs.exists(hp(ckpt + "/latest")));
    run.awaitTrue(
        JOB_LIMIT_S,
        "epoch 2 not 3 steps in",
        () -> StandaloneClusterIT.count(run.driverLogText(), "epoch 2 step") >= 3);
    String appId = run.appId(JOB_LIMIT_S);
    ProcessHandle am = run.applicationMaster(JOB_LIMIT_S);
    am.destroyForcibly();
    Instant killed = Instant.now();
    double into = Duration.between(run.start, killed).toMillis() / 1e3;
    int rc = run.await(JOB_LIMIT_S);
    double ended = Duration.between(killed, Instant.now()).toMillis() / 1e3;
    assertNotEquals(0, rc, "the submission of a killed driver must fail\n" + run.tails());
    ApplicationReport app = report(appId);
    assertEquals(FinalApplicationStatus.FAILED, app.getFinalApplicationStatus(), app.toString());
    assertEquals(1, yarnClient.getApplicationAttempts(app.getApplicationId()).size(), "attempts");
    // YARN ends the application's executors too: nothing of it keeps running or holds memory
    Instant deadline = Instant.now().plusSeconds(60);
    while (YarnSubmission.processesOf(appId, false) > 0) {
      assertTrue(Instant.now().isBefore(deadline), appId + ": containers alive 60 s after failing");
      Thread.sleep(200);
    }
    REPORT.append(
        String.format(
            "pretrain, ApplicationMaster pid %d killed %.0f s into the run: submission exit %d"
                + " %.1f s after the kill%n",
            am.pid(), into, rc, ended));

    YarnSubmission resumed = submitCluster("yarn-pretrain-resumed", pretrainArgs(ckpt));
    resumed.succeeds(JOB_LIMIT_S);
    String driver = resumed.driverLogText();
    assertTrue(driver.contains("resumed from"), "resumed, not restarted:\n" + resumed.tails());
    assertTrue(driver.contains("epoch-00001"), "resumed from epoch 1:\n" + resumed.tails());
    Path local = fetchCheckpoints(ckpt);
    assertEquals(List.of("epoch-00001", "epoch-00002"), Checkpoints.verify(local));
    double[] diff = maxAbsDifference(reference, local, 2);
    REPORT.append(
        String.format(
            "pretrain --resume auto after the kill: %.0f s; epoch 2 weights max |a-b| %.1e,"
                + " optimizer state %.1e%n",
            resumed.seconds(), diff[0], diff[1]));
  }

  // --- the shared dataset and reference run ---

  /** The dataset written by data-prep in cluster mode, made once; a failure fails every user. */
  static synchronized String dataset() throws Exception {
    if (datasetFailure != null) {
      throw new AssertionError("data-prep failed earlier in this class", datasetFailure);
    }
    if (dataset == null) {
      try {
        Instant copy = Instant.now();
        copyToHdfs(REPO.resolve("samples/fmnist"), "/fmnist");
        double copyS = Duration.between(copy, Instant.now()).toMillis() / 1e3;
        String out = hdfs + "/dataset";
        YarnSubmission prep =
            submitCluster(
                "yarn-data-prep",
                "data-prep",
                "--conf",
                PRESET.getFileName().toString(),
                "--input",
                hdfs + "/fmnist",
                "--output",
                out);
        prep.succeeds(JOB_LIMIT_S);
        REPORT.append(
            String.format(
                "copy of samples/fmnist to HDFS: %.0f s; data-prep (cluster mode): %.0f s%n",
                copyS, prep.seconds()));
        dataset = out;
      } catch (AssertionError | Exception e) {
        datasetFailure = e instanceof AssertionError a ? a : new AssertionError(e);
        throw e;
      }
    }
    return dataset;
  }

  /**
   * Two epochs of pretraining in cluster mode to {@code ckpt-a} on HDFS, made once; its checkpoints
   * are copied here and verified (every {@code _COMPLETE}, {@code latest}), the copy returned.
   */
  static synchronized Path uninterrupted() throws Exception {
    if (uninterruptedFailure != null) {
      throw new AssertionError("the uninterrupted run failed earlier", uninterruptedFailure);
    }
    if (uninterrupted == null) {
      try {
        String ckpt = hdfs + "/ckpt-a";
        YarnSubmission run = submitCluster("yarn-pretrain", pretrainArgs(ckpt));
        run.succeeds(JOB_LIMIT_S);
        assertTrue(
            run.driverLogText().contains("pretrain: 2 epochs done"), "finished:\n" + run.tails());
        assertEquals(3, run.containers(), "the driver and two executors, each in a container");
        Path local = fetchCheckpoints(ckpt);
        assertEquals(List.of("epoch-00001", "epoch-00002"), Checkpoints.verify(local));
        REPORT.append(String.format("pretrain 2 epochs (cluster mode): %.0f s%n", run.seconds()));
        uninterrupted = local;
      } catch (AssertionError | Exception e) {
        uninterruptedFailure = e instanceof AssertionError a ? a : new AssertionError(e);
        throw e;
      }
    }
    return uninterrupted;
  }

  /**
   * The cluster preset, two epochs, checkpoints to {@code ckpt}; no evaluation during training (the
   * {@code evaluate} job covers it).
   */
  private static String[] pretrainArgs(String ckpt) throws Exception {
    return new String[] {
      "pretrain",
      "--config",
      PRESET.getFileName().toString(),
      "--set",
      "train.epochs=2",
      "--set",
      "eval.every=0",
      "--dataset",
      dataset(),
      "--checkpoints",
      ckpt,
      "--resume",
      "auto"
    };
  }

  // --- helpers ---

  /**
   * A job in cluster deploy mode: the driver runs in the ApplicationMaster's container, where only
   * shipped files exist, so the preset goes with {@code --files} and is named by its file name; one
   * application attempt, so a lost driver fails the application instead of restarting it.
   */
  private static YarnSubmission submitCluster(String name, String... app) throws IOException {
    return submit(
        name,
        "cluster",
        Map.of(),
        List.of("--files", PRESET.toString(), "--conf", "spark.yarn.maxAppAttempts=1"),
        app);
  }

  private static YarnSubmission submit(
      String name, String deployMode, Map<String, String> env, List<String> extra, String... app)
      throws IOException {
    String javaHome = System.getProperty("java.home");
    List<String> cmd = new ArrayList<>();
    cmd.add(REPO.resolve("deploy/bin/mae-submit").toString());
    cmd.addAll(
        List.of(
            "--master",
            "yarn",
            "--deploy-mode",
            deployMode,
            "--name",
            name,
            "--driver-memory",
            "1g",
            "--executor-memory",
            "1g",
            "--executor-cores",
            "1",
            "--num-executors",
            "2",
            "--conf",
            "spark.ui.enabled=false",
            // Everything on loopback. A client-mode driver takes spark.driver.host; in cluster
            // mode YARN's ApplicationMaster advertises its host's name instead, which on a
            // machine whose name resolves to loopback is the first other interface's address:
            // the containers' SPARK_LOCAL_IP keeps the AM and executors on loopback.
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.driver.bindAddress=127.0.0.1",
            "--conf",
            "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=127.0.0.1",
            "--conf",
            "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
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
    Path log = work.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().put("SPARK_HOME", SPARK_HOME.toString());
    pb.environment().put("HADOOP_CONF_DIR", confDir.toString());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("MAE_JAR", JAR.toString());
    pb.environment().putAll(env);
    return new YarnSubmission(name, pb.start(), log, yarnClient, nodeManagerLogDirs);
  }

  private static ApplicationReport report(String appId) throws Exception {
    return yarnClient.getApplications().stream()
        .filter(r -> r.getApplicationId().toString().equals(appId))
        .findFirst()
        .orElseThrow(() -> new AssertionError("YARN does not know " + appId));
  }

  /**
   * Copies a local folder to HDFS, eight files at a time: each file's close waits for the
   * DataNode's block report, so one at a time the 2,300 sample files take most of a minute.
   */
  private static void copyToHdfs(Path from, String to) throws Exception {
    List<Path> files;
    try (var s = Files.walk(from)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> copies = new ArrayList<>();
      for (Path f : files) {
        String target = to + "/" + from.relativize(f).toString().replace(File.separatorChar, '/');
        copies.add(
            pool.submit(
                () -> {
                  fs.copyFromLocalFile(hp(f.toUri().toString()), hp(target));
                  return null;
                }));
      }
      for (Future<?> c : copies) {
        c.get(JOB_LIMIT_S, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Copies a checkpoint root from HDFS to the work folder (no .crc files) for checking. */
  private static Path fetchCheckpoints(String root) throws IOException {
    Path local = work.resolve(hp(root).getName());
    StandaloneClusterIT.deleteTree(local);
    fs.copyToLocalFile(false, hp(root), hp(local.toUri().toString()), true);
    return local;
  }

  /**
   * Asserts the weights and the optimizer state of epoch {@code epoch} are equal in both roots
   * within 1e-6 (the standard of the object-store resume test) and returns the largest absolute
   * difference of each.
   */
  private static double[] maxAbsDifference(Path a, Path b, int epoch) throws IOException {
    String dir = String.format("epoch-%05d", epoch);
    INDArray[] x = state(a.resolve(dir));
    INDArray[] y = state(b.resolve(dir));
    double[] diff = new double[2];
    for (int i = 0; i < 2; i++) {
      assertEquals(x[i].length(), y[i].length(), (i == 0 ? "weights" : "optimizer") + " length");
      diff[i] = Transforms.abs(x[i].sub(y[i])).maxNumber().doubleValue();
    }
    assertTrue(
        x[0].equalsWithEps(y[0], 1e-6),
        "weights differ after the kill and resume: max |a-b| " + diff[0]);
    assertTrue(x[1].equalsWithEps(y[1], 1e-6), "optimizer state differs: max |a-b| " + diff[1]);
    return diff;
  }

  /** All weights (sorted by name, flattened) and the optimizer state of one checkpoint. */
  private static INDArray[] state(Path dir) throws IOException {
    Map<String, INDArray> t;
    try (InputStream in = Files.newInputStream(dir.resolve(CheckpointStore.WEIGHTS))) {
      t = new TreeMap<>(SafeTensors.read(in, dir.toString()).tensors());
    }
    INDArray w =
        Nd4j.concat(
            0, t.values().stream().map(v -> v.reshape(v.length())).toArray(INDArray[]::new));
    try (InputStream in = Files.newInputStream(dir.resolve(CheckpointStore.OPTIMIZER))) {
      return new INDArray[] {w, Nd4j.read(in)};
    }
  }

  /** A Hadoop path (java.nio's Path is the one imported). */
  private static org.apache.hadoop.fs.Path hp(String uri) {
    return new org.apache.hadoop.fs.Path(uri);
  }
}
