package org.maespark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.model.Bucket;
import com.amazonaws.services.s3.model.ListObjectsV2Request;
import com.amazonaws.services.s3.model.ListObjectsV2Result;
import com.amazonaws.services.s3.model.S3ObjectSummary;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.model.SafeTensors;
import org.maespark.testing.ChildJvm;
import org.maespark.testing.FmnistTestData;
import org.maespark.testing.S3Proxy;
import org.maespark.testing.SparkTestSession;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The pipeline on an S3 object store (s3proxy on loopback, through Hadoop's s3a connector):
 * data-prep from {@code s3a://} to {@code s3a://}, {@code pretrain} from and to {@code s3a://},
 * killed inside a checkpoint write and resumed to the weights of an uninterrupted run, the secret
 * key in no object and no log; and URIs the store refuses fail before training, in one line.
 */
class S3ObjectStoreIT {
  private static final String BUCKET = "mae";

  /** Exists, but the runs that use it sign with a wrong secret key. */
  private static final String DENIED = "denied";

  /** Distinctive, so that finding it anywhere can only mean a leak. */
  private static final String SECRET = "maeS3cret" + UUID.randomUUID().toString().replace("-", "");

  /** Kept when a test fails: the runs' logs are in it. */
  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
  static Path tmp;

  static S3Proxy s3;
  static Configuration hc;
  private static final Map<String, String> SESSION_CONF = new TreeMap<>();

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3Proxy.start(Files.createDirectories(tmp.resolve("s3")), SECRET, BUCKET, DENIED);
    hc = s3.hadoopConf(SECRET);
    // this JVM's commands (Main.execute) reach the store through the shared session's Hadoop
    // configuration (pretrain) and spark.hadoop.* system properties (data-prep's early checks);
    // bucket 'denied' is signed with a wrong secret key
    SESSION_CONF.putAll(s3.s3aSettings());
    SESSION_CONF.put("fs.s3a.access.key", S3Proxy.ACCESS_KEY);
    SESSION_CONF.put("fs.s3a.secret.key", SECRET);
    SESSION_CONF.put("fs.s3a.bucket." + DENIED + ".secret.key", "not-" + SECRET);
    Configuration session = SparkTestSession.get().sparkContext().hadoopConfiguration();
    SESSION_CONF.forEach(session::set);
    SESSION_CONF.forEach((k, v) -> System.setProperty("spark.hadoop." + k, v));
    // the image tree: 10 train and 3 val images per class of the Fashion-MNIST sample
    FileSystem fs = FileSystem.get(java.net.URI.create("s3a://" + BUCKET + "/"), hc);
    for (String split : List.of("train", "val")) {
      int perClass = split.equals("train") ? 10 : 3;
      try (Stream<Path> classes = Files.list(FmnistTestData.root().resolve(split))) {
        for (Path c : classes.filter(Files::isDirectory).sorted().toList()) {
          try (Stream<Path> files = Files.list(c)) {
            for (Path f : files.sorted().limit(perClass).toList()) {
              fs.copyFromLocalFile(
                  new org.apache.hadoop.fs.Path(f.toUri()),
                  hp(s3a("images/" + split + "/" + c.getFileName() + "/" + f.getFileName())));
            }
          }
        }
      }
    }
  }

  @AfterAll
  static void stopS3() throws Exception {
    Configuration session = SparkTestSession.get().sparkContext().hadoopConfiguration();
    for (String k : SESSION_CONF.keySet()) {
      session.unset(k);
      System.clearProperty("spark.hadoop." + k);
    }
    if (s3 != null) {
      s3.close();
    }
  }

  /** A Hadoop path (java.nio's Path is the one imported). */
  private static org.apache.hadoop.fs.Path hp(String uri) {
    return new org.apache.hadoop.fs.Path(uri);
  }

  private static org.apache.hadoop.fs.Path hp(org.apache.hadoop.fs.Path parent, String child) {
    return new org.apache.hadoop.fs.Path(parent, child);
  }

  private static String s3a(String key) {
    return "s3a://" + BUCKET + "/" + key;
  }

  /**
   * Model, schedule and checkpoint settings of every pretrain run here (2 epochs, 3 steps each).
   */
  private static List<String> pretrainArgs(String ckpt) {
    List<String> a = new ArrayList<>(List.of("pretrain", "--dataset", s3a("dataset")));
    a.addAll(List.of("--checkpoints", ckpt));
    List<String> sets = new ArrayList<>(FmnistTestData.TINY_MAE);
    sets.addAll(
        List.of(
            "train.epochs=2",
            "train.warmup_epochs=1",
            "train.blr=1.5e-3",
            "train.batch_per_worker=16",
            "train.workers=2",
            "train.augment=flip",
            "train.log_every_steps=1",
            "checkpoint.every=1",
            "checkpoint.keep_last=5",
            "checkpoint.keep_every=0",
            "eval.every=2",
            "eval.batch=30",
            "eval.probe_epochs=1"));
    for (String s : sets) {
      a.add("--set");
      a.add(s);
    }
    return a;
  }

  /** Credentials from the environment (AWS's variables), as on a host with no Hadoop config. */
  private static Map<String, String> envCredentials() {
    return Map.of("AWS_ACCESS_KEY_ID", S3Proxy.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET);
  }

  /** Credentials in the Hadoop configuration, through Spark's {@code spark.hadoop.*}. */
  private static List<String> confCredentials(String... more) {
    List<String> o = new ArrayList<>(s3.sparkJvmOptions());
    o.add("-Dspark.hadoop.fs.s3a.access.key=" + S3Proxy.ACCESS_KEY);
    o.add("-Dspark.hadoop.fs.s3a.secret.key=" + SECRET);
    o.addAll(LIKE_THE_TEST_SESSION);
    o.addAll(List.of(more));
    return o;
  }

  /** The children's Spark as this JVM's {@link SparkTestSession}: the same rounds, same weights. */
  private static final List<String> LIKE_THE_TEST_SESSION =
      List.of(
          "-Xmx2g",
          "-Dspark.master=local[2]",
          "-Dspark.default.parallelism=2",
          "-Dspark.sql.shuffle.partitions=4");

  private static ChildJvm mae(
      String name, List<String> jvm, Map<String, String> env, List<String> a) throws Exception {
    return ChildJvm.start(name, tmp.resolve(name + ".log"), jvm, env, Main.class.getName(), a);
  }

  @Test
  void pipelineOnS3ResumesAfterAKillInACheckpointWriteAndNeverWritesTheSecret() throws Exception {
    List<ChildJvm> runs = new ArrayList<>();
    try {
      List<String> prepJvm = new ArrayList<>(s3.sparkJvmOptions());
      prepJvm.addAll(LIKE_THE_TEST_SESSION);
      ChildJvm prep =
          mae(
              "data-prep",
              prepJvm,
              envCredentials(),
              List.of(
                  "data-prep",
                  "--input",
                  s3a("images"),
                  "--output",
                  s3a("dataset"),
                  "--conf",
                  Path.of("..", "conf", "data-prep-fmnist.properties").toString()));
      runs.add(prep);
      prep.succeeds(300);
      FileSystem fs = FileSystem.get(java.net.URI.create(s3a("")), hc);
      assertTrue(fs.exists(hp(s3a("dataset/_SUCCESS"))), "dataset published on S3");
      assertTrue(fs.exists(hp(s3a("dataset/manifest.json"))));

      // the uninterrupted reference run, in this JVM (its Spark is already up: a JVM fewer)
      assertEquals(0, Main.execute(pretrainArgs(s3a("full")).toArray(new String[0])));

      // the same run, paused by the test-only switch right after the first file of epoch 2's
      // checkpoint, then killed
      ChildJvm killed =
          mae(
              "pretrain-killed",
              confCredentials("-D" + CheckpointStore.PAUSE_FOR_FAULT_TEST + "=2"),
              Map.of(),
              pretrainArgs(s3a("killed")));
      runs.add(killed);
      String pause = killed.awaitLine(l -> l.startsWith("checkpoint write paused after"), 300);
      assertTrue(pause.contains(".tmp-epoch-00002"), pause);
      killed.kill();

      // what an object store can hold after a crash: the temporary folder, and a "rename"
      // (a copy, file by file) that stopped after its first file, without _COMPLETE
      CheckpointStore store = CheckpointStore.open(s3a("killed"), hc);
      org.apache.hadoop.fs.Path tmpDir = hp(s3a("killed/.tmp-epoch-00002"));
      assertTrue(fs.exists(hp(tmpDir, CheckpointStore.WEIGHTS)), "written before the kill");
      FileUtil.copy(
          fs,
          hp(tmpDir, CheckpointStore.WEIGHTS),
          fs,
          hp(s3a("killed/epoch-00002/" + CheckpointStore.WEIGHTS)),
          false,
          hc);
      assertEquals(1, store.newestComplete().orElseThrow().epoch(), "readers skip both");
      assertEquals(List.of(1), store.listComplete().stream().map(c -> c.epoch()).toList());

      ChildJvm resumed =
          mae("pretrain-resumed", confCredentials(), Map.of(), pretrainArgs(s3a("killed")));
      runs.add(resumed);
      resumed.succeeds(300);
      String out = resumed.output();
      assertTrue(out.contains("resumed from"), "resumed, not restarted:\n" + out);
      assertTrue(out.contains("pretrain: 2 epochs done"), out);
      List<String> aside = new ArrayList<>();
      for (FileStatus st : fs.listStatus(hp(s3a("killed")))) {
        if (st.getPath().getName().startsWith("epoch-00002.incomplete-")) {
          aside.add(st.getPath().getName());
        }
      }
      assertEquals(2, aside.size(), "both broken forms of epoch 2 set aside: " + aside);
      assertEquals(2, store.newestComplete().orElseThrow().epoch());

      assertSameWeights(s3a("full"), s3a("killed"), 2);
      assertSecretNowhere(runs);
    } finally {
      runs.forEach(ChildJvm::destroy);
    }
  }

  /** Weights and optimizer state of epoch {@code epoch} equal in both roots, within 1e-6. */
  private static void assertSameWeights(String a, String b, int epoch) throws Exception {
    INDArray[] x = finalState(a, epoch);
    INDArray[] y = finalState(b, epoch);
    assertTrue(x[0].equalsWithEps(y[0], 1e-6), "weights differ after the kill and resume");
    assertTrue(x[1].equalsWithEps(y[1], 1e-6), "optimizer state differs");
  }

  private static INDArray[] finalState(String root, int epoch) throws Exception {
    CheckpointStore store = CheckpointStore.open(root, hc);
    CheckpointStore.Checkpoint c = store.find(epoch).orElseThrow();
    store.verify(c);
    Map<String, INDArray> t;
    try (InputStream in = store.open(c, CheckpointStore.WEIGHTS)) {
      t = new TreeMap<>(SafeTensors.read(in, root).tensors());
    }
    INDArray w =
        Nd4j.concat(
            0, t.values().stream().map(v -> v.reshape(v.length())).toArray(INDArray[]::new));
    try (InputStream in = store.open(c, CheckpointStore.OPTIMIZER)) {
      return new INDArray[] {w, Nd4j.read(in)};
    }
  }

  /**
   * The secret key is in no object of the store (every object of every bucket, listed and read with
   * the AWS SDK, so s3a's view of folders hides nothing) and in no run's output; the objects that
   * could carry it were among those read.
   */
  private static void assertSecretNowhere(List<ChildJvm> runs) throws Exception {
    byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
    AmazonS3 client = s3.client(SECRET);
    List<String> seen = new ArrayList<>();
    for (Bucket b : client.listBuckets()) {
      ListObjectsV2Request req = new ListObjectsV2Request().withBucketName(b.getName());
      ListObjectsV2Result page;
      do {
        page = client.listObjectsV2(req);
        for (S3ObjectSummary o : page.getObjectSummaries()) {
          String name = b.getName() + "/" + o.getKey();
          seen.add(name);
          byte[] bytes;
          try (InputStream in = client.getObject(b.getName(), o.getKey()).getObjectContent()) {
            bytes = in.readAllBytes();
          }
          assertFalse(contains(bytes, secret), "secret key in object " + name);
        }
        req.setContinuationToken(page.getNextContinuationToken());
      } while (page.isTruncated());
    }
    for (String must :
        List.of(
            "mae/dataset/manifest.json",
            "mae/killed/epoch-00002/state.json",
            "mae/full/metrics/epoch-00002.jsonl")) {
      assertTrue(seen.contains(must), must + " not among " + seen);
    }
    for (ChildJvm r : runs) {
      assertFalse(r.output().contains(SECRET), "secret key in the output of " + r.log());
      assertTrue(Files.size(r.log()) > 0, r.log() + " is empty");
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void urisTheStoreRefusesFailBeforeTrainingInOneLine() throws Exception {
    String dataset = FmnistTestData.write(tmp.resolve("local"), 4, 2);
    String ckpt = tmp.resolve("local-ckpt").toUri().toString();
    for (String bad : List.of("s3a://no-such-bucket/dataset", "s3a://" + DENIED + "/dataset")) {
      refused(bad, "pretrain", "--dataset", bad, "--checkpoints", ckpt);
      refused(bad, "data-prep", "--input", bad, "--output", tmp.resolve("o").toString());
    }
    for (String bad : List.of("s3a://no-such-bucket/ckpt", "s3a://" + DENIED + "/ckpt")) {
      String msg =
          refused(
              bad,
              EndToEndIT.args("pretrain", "--dataset", dataset, "--checkpoints", bad)
                  .toArray(new String[0]));
      assertTrue(
          msg.contains(bad.contains(DENIED) ? "(S3 403); check the credentials" : "(S3 404"), msg);
    }
    // a secret given to mae-spark's own configuration is refused by its key, its value unsaid
    refused(
        "unknown config key 'fs.s3a.secret.key'",
        "pretrain",
        "--dataset",
        dataset,
        "--checkpoints",
        ckpt,
        "--set",
        "fs.s3a.secret.key=" + SECRET);
    String missing = tmp.resolve("no-dataset").toString();
    refused(missing, "pretrain", "--dataset", missing, "--checkpoints", ckpt);
    assertFalse(Files.exists(tmp.resolve("local-ckpt")), "nothing trained, nothing written");
  }

  /** Runs a command in this JVM that must fail in one line naming {@code uri}; the line. */
  private static String refused(String uri, String... args) {
    CliRun run = CliRun.of(args);
    String msg = run.err();
    assertEquals(1, run.rc(), String.join(" ", args) + ": " + msg);
    assertEquals(1, msg.lines().count(), "one line: " + msg);
    assertTrue(msg.startsWith("mae: ") && msg.contains(uri), uri + " not named: " + msg);
    assertFalse(msg.contains(SECRET), msg);
    assertFalse(msg.contains("com.amazonaws"), "the SDK's noise: " + msg);
    System.out.println("refused as expected: " + msg);
    return msg;
  }
}
