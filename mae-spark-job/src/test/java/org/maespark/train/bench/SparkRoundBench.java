package org.maespark.train.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.maespark.checkpoint.CheckpointConfig;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.conf.Settings;
import org.maespark.eval.EvalConfig;
import org.maespark.input.Augmenter;
import org.maespark.input.DatasetInfo;
import org.maespark.input.TrainRow;
import org.maespark.input.TrainRows;
import org.maespark.model.MaeConfig;
import org.maespark.testing.DataPrepFixture;
import org.maespark.testing.FmnistSample;
import org.maespark.testing.SparkTestSession;
import org.maespark.train.LrInstaller;
import org.maespark.train.LrSchedule;
import org.maespark.train.MaeTrainModel;
import org.maespark.train.Pretrainer;
import org.maespark.train.TrainConfig;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * What a Spark round costs: {@code pretrain} on the shared {@code local[2]} session (2 workers x
 * {@link #BATCH_PER_WORKER}) against a single-process fit of the same graph on minibatches of the
 * same effective batch, in the same JVM settings. Run by {@code mae-spark-job/bench.sh}, one mode
 * per JVM (so each JVM's peak RSS is its own):
 *
 * <pre>
 *   SparkRoundBench CONFIG single                      -> BENCH_SINGLE config=.. img_per_s=..
 *   SparkRoundBench CONFIG parameter_averaging AF      -> BENCH_RUN config=.. trainer=.. af=..
 *   SparkRoundBench CONFIG gradient_sharing 1             img_per_s=.. peak_rss_mib=..
 * </pre>
 *
 * <p>The dataset is the project's Fashion-MNIST sample (2,000 images) turned by data-prep into the
 * preset's size and channels, written once under {@code BENCH_DIR}. Both sides are measured warm,
 * as a long run trains: the Spark side trains {@link #EPOCHS} epochs of up to {@link #STEPS} steps
 * and reports the median img/s of those after the first {@link #SKIP} (the JIT keeps compiling
 * Spark's per-round code for dozens of rounds: in rounds 20-40 of a fmnist-28 run it still took a
 * third of a core); the single side times {@link #SINGLE_STEPS} steps after {@link #WARMUP} warm-up
 * steps.
 */
public final class SparkRoundBench {
  static final int BATCH_PER_WORKER = 64;
  static final int WORKERS = 2;
  static final int STEPS = Integer.getInteger("bench.steps", 16);
  static final int EPOCHS = Integer.getInteger("bench.epochs", 6);
  static final int SKIP = Integer.getInteger("bench.skip_epochs", 2);
  static final int WARMUP = Integer.getInteger("bench.warmup", 30);
  static final int SINGLE_STEPS = Integer.getInteger("bench.single_steps", 48);

  private SparkRoundBench() {}

  public static void main(String[] args) throws Exception {
    String config = args[0];
    String mode = args[1];
    int af = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    Path dir = Path.of(System.getenv().getOrDefault("BENCH_DIR", "target/spark-bench"));
    SparkSession spark = SparkTestSession.get();
    String uri = dataset(spark, dir.resolve("data-" + config), MaeConfig.preset(config));
    Settings s = settings(config, mode, af, dir.resolve("ckpt-" + System.nanoTime()));
    if (mode.equals("single")) {
      System.out.printf("BENCH_SINGLE config=%s img_per_s=%.2f%n", config, single(spark, uri, s));
    } else {
      double[] perEpoch = pretrain(spark, uri, s);
      System.out.printf(
          "BENCH_RUN config=%s trainer=%s af=%d img_per_s=%.2f epochs_img_per_s=%s"
              + " peak_rss_mib=%d%n",
          config,
          mode,
          af,
          median(Arrays.copyOfRange(perEpoch, SKIP, perEpoch.length)),
          Arrays.toString(perEpoch).replace(" ", ""),
          peakRssMib());
    }
    spark.stop();
  }

  static Settings settings(String config, String trainer, int af, Path ckpt) {
    List<String> o =
        new ArrayList<>(
            List.of(
                "model.preset=" + config,
                "train.trainer=" + (trainer.equals("single") ? "parameter_averaging" : trainer),
                "train.epochs=" + EPOCHS,
                "train.warmup_epochs=1",
                "train.batch_per_worker=" + BATCH_PER_WORKER,
                "train.workers=" + WORKERS,
                "train.averaging_frequency=" + af,
                "train.max_steps_per_epoch=" + STEPS,
                "train.augment=flip",
                "train.log_every_steps=1000",
                "checkpoint.dir=" + ckpt.toUri(),
                "checkpoint.every=1000",
                "checkpoint.keep_last=1"));
    // bench.set="k=v,k=v": extra settings for an experiment (e.g. train.prefetch=0)
    for (String kv : System.getProperty("bench.set", "").split(",")) {
      if (!kv.isBlank()) {
        o.add(kv.strip());
      }
    }
    return Settings.load(null, o);
  }

  /** Epoch img/s of a {@code pretrain} run without evaluation. */
  static double[] pretrain(SparkSession spark, String uri, Settings s) throws Exception {
    Configuration hc = spark.sparkContext().hadoopConfiguration();
    TrainConfig t = TrainConfig.fromSettings(s);
    CheckpointConfig c = CheckpointConfig.fromSettings(s);
    new Pretrainer(
            spark,
            s.toPropertiesText(),
            t,
            c,
            EvalConfig.fromSettings(s),
            DatasetInfo.read(uri, hc),
            seed -> MaeTrainModel.create(s, seed),
            null)
        .run(false, 0);
    ObjectMapper json = new ObjectMapper();
    List<Double> ips = new ArrayList<>();
    for (String line : CheckpointStore.open(c.dir(), hc).readMetricLines()) {
      JsonNode n = json.readTree(line);
      if (n.path("kind").asText().equals("epoch")) {
        ips.add(n.get("img_per_s").asDouble());
      }
    }
    return ips.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** img/s of {@code graph.fit} on minibatches of the effective batch, prepared beforehand. */
  static double single(SparkSession spark, String uri, Settings s) {
    TrainConfig t = TrainConfig.fromSettings(s);
    MaeTrainModel m = MaeTrainModel.create(s, t.seed());
    LrInstaller.install(m.graph(), new LrSchedule(1e-4, 0, 1, EPOCHS, STEPS));
    DatasetInfo data = DatasetInfo.read(uri, spark.sparkContext().hadoopConfiguration());
    double[][] norm = data.normalization(t.normalize());
    Augmenter aug =
        Augmenter.forMode(
            t.augment(), m.imgSize(), m.channels(), m.numPatches(), norm[0], norm[1], t.seed());
    List<TrainRow> rows = TrainRows.rows(spark, uri, "train").collect();
    int batch = WORKERS * BATCH_PER_WORKER;
    List<MultiDataSet> batches = new ArrayList<>();
    for (int i = 0;
        batches.size() < WARMUP + SINGLE_STEPS;
        i = (i + batch) % (rows.size() - batch)) {
      batches.add(aug.batch(rows.subList(i, i + batch), 0));
    }
    for (int i = 0; i < WARMUP; i++) {
      m.graph().fit(batches.get(i));
    }
    long t0 = System.nanoTime();
    for (int i = WARMUP; i < batches.size(); i++) {
      m.graph().fit(batches.get(i));
    }
    return (double) SINGLE_STEPS * batch / ((System.nanoTime() - t0) / 1e9);
  }

  /** The Fashion-MNIST sample as a dataset at the preset's size, patch and channels. */
  static String dataset(SparkSession spark, Path dir, MaeConfig c) throws Exception {
    Path out = dir.resolve("dataset");
    if (!Files.exists(out.resolve(DatasetInfo.MANIFEST))) {
      Path tree = dir.resolve("images");
      copyTree(FmnistSample.root().resolve("train"), tree.resolve("train"));
      copyTree(FmnistSample.root().resolve("val"), tree.resolve("val"));
      DataPrepFixture.run(spark, tree, out, c.imgSize(), c.patch(), c.inChans());
    }
    return out.toUri().toString();
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Path dst = to.resolve(from.relativize(f).toString());
        Files.createDirectories(dst.getParent());
        Files.copy(f, dst);
      }
    }
  }

  static double median(double[] x) {
    double[] s = x.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** This JVM's peak resident set (VmHWM), MiB. */
  static long peakRssMib() throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmHWM:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }
}
