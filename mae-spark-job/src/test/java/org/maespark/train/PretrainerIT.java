package org.maespark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.checkpoint.CheckpointConfig;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.conf.Settings;
import org.maespark.eval.EvalConfig;
import org.maespark.input.DatasetInfo;
import org.maespark.model.SafeTensors;
import org.maespark.testing.FmnistSample;
import org.maespark.testing.FmnistTestData;
import org.maespark.testing.SparkTestSession;
import org.maespark.testing.TinyDataset;
import org.maespark.testing.TinyModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The epoch loop's mechanics in Spark local[2] with a small real DL4J graph. */
class PretrainerIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static DatasetInfo data;

  @BeforeAll
  static void data() throws Exception {
    spark = SparkTestSession.get();
    String uri = TinyDataset.write(spark, tmp.resolve("data"), 96, 16, 8, 4);
    data = DatasetInfo.read(uri, new Configuration());
  }

  static Settings settings(String ckptDir, String... extra) {
    List<String> o =
        new java.util.ArrayList<>(
            List.of(
                "train.epochs=4",
                "train.warmup_epochs=1",
                "train.blr=0.02",
                "train.batch_per_worker=8",
                "train.workers=2",
                "train.seed=5",
                "train.log_every_steps=2",
                "checkpoint.dir=" + ckptDir,
                "checkpoint.every=1",
                "checkpoint.keep_last=10",
                "checkpoint.keep_every=0"));
    o.addAll(List.of(extra));
    return Settings.load(null, o);
  }

  static Pretrainer pretrainer(Settings s, java.util.function.LongFunction<PretrainModel> f) {
    return new Pretrainer(
        spark,
        s.toPropertiesText(),
        TrainConfig.fromSettings(s),
        CheckpointConfig.fromSettings(s),
        EvalConfig.fromSettings(s),
        data,
        f,
        null);
  }

  static INDArray[] finalState(String ckptDir, int epoch) throws Exception {
    CheckpointStore store = CheckpointStore.open(ckptDir, new Configuration());
    CheckpointStore.Checkpoint c = store.find(epoch).orElseThrow();
    byte[] w;
    try (InputStream in = store.open(c, CheckpointStore.WEIGHTS)) {
      w = in.readAllBytes();
    }
    try (InputStream o = store.open(c, CheckpointStore.OPTIMIZER)) {
      return new INDArray[] {weights(w), Nd4j.read(o)};
    }
  }

  /** All weights as one vector: safetensors (MAE; tensors in key order) or ND4J binary. */
  static INDArray weights(byte[] b) throws Exception {
    if (b.length > 8 && b[8] == '{') {
      var t = SafeTensors.read(new java.io.ByteArrayInputStream(b), "test").tensors();
      return Nd4j.concat(
          0,
          new java.util.TreeMap<>(t)
              .values().stream().map(a -> a.reshape(a.length())).toArray(INDArray[]::new));
    }
    return Nd4j.read(new java.io.ByteArrayInputStream(b));
  }

  @Test
  void resumedRunEqualsUninterruptedRun() throws Exception {
    String full = tmp.resolve("full").toUri().toString();
    String split = tmp.resolve("split").toUri().toString();
    var r1 = pretrainer(settings(full), seed -> new TinyModel(seed, 8, 4)).run(false, 0);
    assertEquals(4, r1.epochsDone());
    assertEquals(4 * 6, r1.globalStep()); // 96 images / (2 x 8) = 6 steps per epoch

    var a = pretrainer(settings(split), seed -> new TinyModel(seed, 8, 4)).run(true, 2);
    assertEquals(2, a.epochsDone());
    var b = pretrainer(settings(split), seed -> new TinyModel(seed, 8, 4)).run(true, 0);
    assertEquals(24, b.globalStep());

    INDArray[] x = finalState(full, 4);
    INDArray[] y = finalState(split, 4);
    assertTrue(x[0].equalsWithEps(y[0], 1e-6), "weights differ after resume");
    assertTrue(x[1].equalsWithEps(y[1], 1e-6), "optimizer state differs after resume");
    // the weights did move: training happened
    INDArray[] first = finalState(full, 1);
    assertTrue(first[0].sub(x[0]).norm2Number().doubleValue() > 1e-3);

    // layout and metrics
    Path e4 = tmp.resolve("split/epoch-00004");
    for (String f : List.of("model.safetensors", "optimizer.bin", "state.json", "_COMPLETE")) {
      assertTrue(Files.exists(e4.resolve(f)), f);
    }
    JsonNode state = new ObjectMapper().readTree(e4.resolve("state.json").toFile());
    assertEquals(4, state.get("epoch").asInt());
    assertEquals(24, state.get("globalStep").asLong());
    assertEquals(data.digest(), state.get("datasetDigest").asText());
    assertTrue(state.get("config").asText().contains("train.blr = 0.02"));
    List<String> metrics = Files.readAllLines(tmp.resolve("split/metrics.jsonl"));
    assertEquals(4, metrics.stream().filter(l -> l.contains("\"kind\":\"epoch\"")).count());
    // progress lines every 2 steps: 3 per epoch, none lost or doubled by the resume
    assertEquals(12, metrics.stream().filter(l -> l.contains("\"kind\":\"step\"")).count());
    assertEquals(
        Files.readString(tmp.resolve("full/latest")).trim(),
        Files.readString(tmp.resolve("split/latest")).trim());
  }

  /** Identity activations: nothing saturates, so a huge LR overflows to inf / NaN. */
  static TinyModel unbounded(long seed) {
    return new TinyModel(
        seed,
        8,
        4,
        new org.nd4j.linalg.learning.config.Adam(1e-3, 0.9, 0.95, 1e-8),
        org.nd4j.linalg.activations.Activation.IDENTITY);
  }

  @Test
  void resumedMaeRunEqualsUninterruptedRun() throws Exception {
    String uri = FmnistSample.write(spark, tmp.resolve("fmnist"), 24, 2, 4);
    DatasetInfo fm = DatasetInfo.read(uri, new Configuration());
    List<String> mae = new ArrayList<>(FmnistTestData.TINY_MAE);
    mae.add("train.augment=rrc");
    java.util.function.Function<String, Pretrainer> make =
        dir -> {
          Settings s = settings(dir, mae.toArray(new String[0]));
          return new Pretrainer(
              spark,
              s.toPropertiesText(),
              TrainConfig.fromSettings(s),
              CheckpointConfig.fromSettings(s),
              EvalConfig.fromSettings(s),
              fm,
              seed -> MaeTrainModel.create(s, seed),
              null);
        };
    String full = tmp.resolve("mae-full").toUri().toString();
    String split = tmp.resolve("mae-split").toUri().toString();
    assertEquals(60, make.apply(full).run(false, 0).globalStep()); // 240 / 16 = 15 per epoch
    make.apply(split).run(true, 2);
    make.apply(split).run(true, 0);
    INDArray[] x = finalState(full, 4);
    INDArray[] y = finalState(split, 4);
    INDArray[] e2 = finalState(split, 2);
    assertTrue(e2[1].sub(x[1]).amaxNumber().doubleValue() > 1e-4, "optimizer state moved");
    double dw = x[0].sub(y[0]).amaxNumber().doubleValue();
    double dopt = x[1].sub(y[1]).amaxNumber().doubleValue();
    assertTrue(dw < 1e-5 && dopt < 1e-5, "resumed MAE differs: weights " + dw + ", Adam " + dopt);
  }

  @Test
  void nonFiniteLossStopsWithEpochAndStepAndKeepsLastCheckpoint() throws Exception {
    String dir = tmp.resolve("nan").toUri().toString();
    pretrainer(settings(dir), seed -> unbounded(seed)).run(true, 1);
    byte[] before = Files.readAllBytes(tmp.resolve("nan/epoch-00001/model.safetensors"));
    Settings exploding = settings(dir, "train.blr=1e38");
    NonFiniteLossException e =
        assertThrows(
            NonFiniteLossException.class,
            () -> pretrainer(exploding, seed -> unbounded(seed)).run(true, 0));
    assertTrue(e.getMessage().contains("at epoch 2, steps"), e.getMessage());
    CheckpointStore store = CheckpointStore.open(dir, new Configuration());
    assertEquals(1, store.newestComplete().orElseThrow().epoch());
    assertArrayEquals(before, Files.readAllBytes(tmp.resolve("nan/epoch-00001/model.safetensors")));
  }
}
