package org.maespark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.conf.Settings;
import org.maespark.input.Augmenter;
import org.maespark.input.TrainRows;
import org.maespark.testing.SparkTestSession;
import org.maespark.testing.TinyDataset;
import org.maespark.testing.TinyModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The LR the Spark workers use is the schedule's value at the driver's global step (and Adam's bias
 * correction runs on the same clock): one parameter-averaging round equals averaging two local fits
 * made at that step.
 */
class WorkerScheduleTest {
  @TempDir Path tmp;

  @Test
  void workersTrainAtTheDriversStep() throws Exception {
    SparkSession spark = SparkTestSession.get();
    String uri = TinyDataset.write(spark, tmp.resolve("data"), 64, 8, 8, 4);
    TrainConfig t =
        TrainConfig.fromSettings(
            Settings.load(
                null,
                List.of(
                    "train.epochs=4",
                    "train.warmup_epochs=1",
                    "train.batch_per_worker=8",
                    "train.workers=2")));
    LrSchedule schedule = new LrSchedule(1e-2, 0, 1, 4, 4);
    TinyModel m = new TinyModel(3, 8, 4);
    LrInstaller.install(m.graph(), schedule);
    Augmenter aug = new Augmenter(8, 1, 4, true, true, new double[] {0.5}, new double[] {0.25}, 1);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    try (EpochPlan ep = new EpochPlan(TrainRows.rows(spark, uri, "train"), 1, 0, 2, t, aug)) {
      // round 0 is step 0: warmup LR 0, so the weights must not move
      INDArray p0 = m.graph().params().dup();
      fitRound(jsc, m, t, ep, 0);
      assertEquals(1, m.graph().getConfiguration().getIterationCount());
      assertTrue(m.graph().params().sub(p0).amaxNumber().doubleValue() < 1e-6);

      // a few rounds on, the Spark round must equal two local fits at the same step, averaged
      fitRound(jsc, m, t, ep, 1);
      fitRound(jsc, m, t, ep, 2);
      long step = m.graph().getConfiguration().getIterationCount();
      assertEquals(3, step);
      List<MultiDataSet> batches = ep.round(3).collect(); // worker 0's batch, then worker 1's
      INDArray expected = localAverage(m.graph(), batches, (int) step);
      fitRound(jsc, m, t, ep, 3);
      INDArray got = m.graph().params();
      assertTrue(
          got.equalsWithEps(expected, 1e-6),
          "Spark round differs from local fits at step "
              + step
              + ": max diff "
              + got.sub(expected).amaxNumber());
      assertTrue(schedule.lrAtStep(step) > 0);
    }
  }

  private static void fitRound(
      JavaSparkContext jsc, TinyModel m, TrainConfig t, EpochPlan ep, long r) {
    long step = m.graph().getConfiguration().getIterationCount();
    new SparkComputationGraph(jsc, m.graph(), TrainingMasters.parameterAveraging(t, 2, 7, step, 0))
        .fitMultiDataSet(ep.round(r));
  }

  /** Each batch fitted on its own copy of {@code g} at iteration {@code step}; mean params. */
  private static INDArray localAverage(ComputationGraph g, List<MultiDataSet> batches, int step) {
    INDArray sum = null;
    for (MultiDataSet b : batches) {
      ComputationGraph c = g.clone();
      c.getConfiguration().setIterationCount(step);
      c.fit(b);
      sum = sum == null ? c.params().dup() : sum.addi(c.params());
    }
    return sum.divi(batches.size());
  }
}
