package org.maespark.train.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.maespark.conf.Settings;
import org.maespark.testing.SparkTestSession;
import org.maespark.testing.TinyModel;
import org.maespark.train.LrInstaller;
import org.maespark.train.Pretrainer;
import org.maespark.train.StepMeter;
import org.maespark.train.TrainConfig;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.parameterserver.distributed.v2.ModelParameterServer;

/**
 * Gradient sharing's repairs, one at a time, with a small real DL4J graph in Spark local[2]: the
 * workers restart each fit from the driver's state (defect 2), and a stalled fit fails within a
 * bounded time (defect 3).
 */
class GradientSharingMechanicsTest {
  static SparkSession spark;
  static JavaSparkContext jsc;
  static Set<Path> aeronBefore;

  @BeforeAll
  static void session() throws IOException {
    spark = SparkTestSession.get();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    aeronBefore = aeronDirs();
  }

  /** Aeron media-driver directories this JVM's transports leave must be gone after a shutdown. */
  @AfterAll
  static void aeronCleanedUp() throws IOException {
    ModelParameterServer.getInstance().shutdown();
    Set<Path> left = aeronDirs();
    left.removeAll(aeronBefore);
    for (Path p : left) {
      // only directories born during this class; Aeron deletes its own on a clean shutdown
      try (Stream<Path> w = Files.walk(p)) {
        w.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    assertTrue(left.isEmpty(), "Aeron directories left behind: " + left);
  }

  static Set<Path> aeronDirs() throws IOException {
    Path shm = Path.of("/dev/shm");
    if (!Files.isDirectory(shm)) {
      return new java.util.HashSet<>();
    }
    try (Stream<Path> s = Files.list(shm)) {
      return s.filter(p -> p.getFileName().toString().startsWith("aeron-"))
          .collect(Collectors.toCollection(java.util.HashSet::new));
    }
  }

  static TrainConfig train(int stepsPerFit) {
    return TrainConfig.fromSettings(
        Settings.load(
            null,
            List.of(
                "train.epochs=2",
                "train.warmup_epochs=0",
                "train.batch_per_worker=8",
                "train.workers=2",
                "train.averaging_frequency=" + stepsPerFit,
                "train.trainer=gradient_sharing")));
  }

  static SharingConfig sharing(int stallSeconds) {
    return SharingConfig.fromSettings(
        Settings.load(null, List.of("train.sharing_stall_timeout_s=" + stallSeconds)));
  }

  /** Minibatches of the tiny graph's contract: imgs [8, 64], noise [8, 4]. */
  static List<MultiDataSet> batches(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<MultiDataSet> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[][] x = new float[8][64];
      float[][] y = new float[8][4];
      for (int b = 0; b < 8; b++) {
        for (int j = 0; j < 64; j++) {
          x[b][j] = (float) r.nextDouble(-1, 1);
        }
        for (int j = 0; j < 4; j++) {
          y[b][j] = x[b][j * 16] > 0 ? 0.9f : 0.1f;
        }
      }
      out.add(
          new org.nd4j.linalg.dataset.MultiDataSet(
              Nd4j.createFromArray(x), Nd4j.createFromArray(y)));
    }
    return out;
  }

  /** LR 0.01 for steps 0..5, then 0 (a fit with LR 0 changes nothing and sends nothing). */
  static ISchedule lrUntilStep6() {
    return new MapSchedule.Builder(ScheduleType.ITERATION).add(0, 0.01).add(6, 0.0).build();
  }

  @Test
  void workersRunTheRecipeLrDividedByWorkersAndItSurvivesTheJsonRoundTrip() {
    TinyModel model = new TinyModel(3, 8, 4);
    GradientSharing gs =
        GradientSharing.forRun(jsc.getConf(), train(3), sharing(900), 2, lrUntilStep6());
    LrInstaller.install(model.graph(), gs.workerSchedule());
    var conf =
        org.deeplearning4j.nn.conf.ComputationGraphConfiguration.fromJson(
            model.graph().getConfiguration().toJson());
    var layer =
        (org.deeplearning4j.nn.conf.layers.BaseLayer)
            ((org.deeplearning4j.nn.conf.graph.LayerVertex) conf.getVertices().get("enc"))
                .getLayerConf()
                .getLayer();
    assertEquals(0.005, layer.getIUpdater().getLearningRate(2, 0), 1e-12);
    assertEquals(0.0, layer.getIUpdater().getLearningRate(7, 0), 1e-12);
  }

  @Test
  void workersRestartEachFitFromTheDriversState() {
    TinyModel model = new TinyModel(3, 8, 4);
    ComputationGraph g = model.graph();
    GradientSharing gs =
        GradientSharing.forRun(jsc.getConf(), train(3), sharing(900), 2, lrUntilStep6());
    LrInstaller.install(g, gs.workerSchedule());

    // fit 1 (steps 0-2): the worker's copy and the driver's learn together
    List<MultiDataSet> data = batches(6, 1);
    StepMeter meter = StepMeter.register(jsc.sc());
    new SparkComputationGraph(jsc, g, gs.forFit(0, 0, meter))
        .fitMultiDataSet(jsc.parallelize(data, 2));
    assertEquals(3, Pretrainer.step(model), "driver step after a 3-step fit");
    assertEquals(6, meter.read().steps(), "worker steps counted in fit 1 (2 workers x 3)");
    assertTrue(gs.updatesReceived() > 0, "the driver received no update in fit 1");
    // every update is counted with its encoded size: at least the four-int header each
    SharingTraffic t = gs.traffic();
    assertEquals(gs.updatesReceived(), t.updates());
    assertTrue(t.bytes() >= 16 * t.updates(), t.toString());

    // The driver now holds a state the worker never saw (as after updates only the driver got).
    INDArray driverState = new TinyModel(99, 8, 4).graph().params().dup();
    g.params().assign(driverState);

    // fit 2 at LR 0 (steps 6-8): the worker's loss must be that of the driver's state
    MultiDataSet probe = batches(1, 7).get(0);
    double atDriverState = g.score(probe, false);
    g.getConfiguration().setIterationCount(6);
    StepMeter.Reading beforeFit2 = meter.read();
    SparkComputationGraph sg = new SparkComputationGraph(jsc, g, gs.forFit(1, 6, meter));
    sg.fitMultiDataSet(jsc.parallelize(List.of(probe, probe, probe, probe, probe, probe), 2));
    assertEquals(
        atDriverState,
        sg.getScore(),
        1e-5,
        "the worker trained from its own copy, not from the driver's parameters");
    // the epoch's train loss is the mean over every worker step: all six at the driver's state
    StepMeter.Reading fit2 = meter.read().since(beforeFit2);
    assertEquals(6, fit2.steps(), "worker steps counted in fit 2");
    assertEquals(atDriverState, fit2.meanLoss(), 1e-5, "mean loss over fit 2's steps");
    assertEquals(driverState, g.params(), "LR 0: the driver's parameters must not move");
    assertEquals(9, Pretrainer.step(model));
  }

  @Test
  void stalledFitFailsWithinTheTimeoutNamingTheEpoch() {
    TinyModel model = new TinyModel(5, 8, 4);
    ComputationGraph g = model.graph();
    GradientSharing gs =
        GradientSharing.forRun(jsc.getConf(), train(3), sharing(3), 2, lrUntilStep6());
    LrInstaller.install(g, gs.workerSchedule());
    // partition 1 never delivers its data, as a replacement executor stuck in the handshake
    JavaRDD<MultiDataSet> stuck =
        jsc.parallelize(batches(6, 2), 2)
            .mapPartitionsWithIndex(
                (i, it) -> {
                  if (i == 1) {
                    blockUntilInterrupted();
                  }
                  return it;
                },
                true);
    long t0 = System.nanoTime();
    GradientSharingStalledException e =
        assertThrows(
            GradientSharingStalledException.class,
            () ->
                new SparkComputationGraph(jsc, g, gs.forFit(4, 12, meter(jsc)))
                    .fitMultiDataSet(stuck));
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds < 30, "stall detected only after " + seconds + " s (timeout 3 s)");
    assertTrue(e.getMessage().contains("epoch 5"), e.getMessage());
    assertTrue(e.getMessage().contains("--resume auto"), e.getMessage());
    SharingConfig ports = sharing(3);
    String range =
        (ports.controllerPort() + 1) + "-" + (ports.controllerPort() + ports.executorPorts());
    assertTrue(e.getMessage().contains("driver's " + ports.controllerPort()), e.getMessage());
    assertTrue(e.getMessage().contains(range), e.getMessage());

    // the job was cancelled, and a new run trains normally in the same JVM
    TinyModel fresh = new TinyModel(6, 8, 4);
    INDArray before = fresh.graph().params().dup();
    GradientSharing again =
        GradientSharing.forRun(jsc.getConf(), train(3), sharing(900), 2, lrUntilStep6());
    LrInstaller.install(fresh.graph(), again.workerSchedule());
    new SparkComputationGraph(jsc, fresh.graph(), again.forFit(0, 0, meter(jsc)))
        .fitMultiDataSet(jsc.parallelize(batches(6, 3), 2));
    assertNotEquals(before, fresh.graph().params(), "the run after the stall did not train");
  }

  static StepMeter meter(JavaSparkContext jsc) {
    return StepMeter.register(jsc.sc());
  }

  static <T> Iterator<T> blockUntilInterrupted() {
    try {
      Thread.sleep(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    return null;
  }
}
