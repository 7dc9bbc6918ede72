package org.maespark.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.junit.jupiter.api.Test;
import org.maespark.input.Augmenter;
import org.maespark.input.TrainRow;
import org.maespark.model.MaeConfig;
import org.maespark.model.MaeModel;
import org.maespark.model.MaeWeights;
import org.maespark.testing.SparkTestSession;

/**
 * Features extracted as a Spark job (rows streamed in batches that do not divide a partition, one
 * model per executor slot reused across tasks and jobs) equal the model's own features of the same
 * images, row by row.
 */
class ExecutorFeaturesTest {
  @Test
  void featuresJobEqualsTheModelsFeaturesAndReusesModelsAcrossTasks() throws Exception {
    MaeConfig c = MaeConfig.preset("fmnist-28");
    MaeModel model = MaeModel.create(c, 4);
    ByteArrayOutputStream w = new ByteArrayOutputStream();
    MaeWeights.save(model, w);
    SplittableRandom rng = new SplittableRandom(8);
    List<TrainRow> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      byte[] px = new byte[28 * 28];
      rng.nextBytes(px);
      rows.add(new TrainRow(i, "r" + i, i % 10, 28, 28, 4, px));
    }
    Augmenter centre =
        new Augmenter(
            28, 1, c.numPatches(), false, false, new double[] {0.286}, new double[] {0.353}, 0);
    float[][] expected = model.features(ExecutorEval.images(centre, rows)).toFloatMatrix();

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    int slots = jsc.defaultParallelism();
    Broadcast<byte[]> bw = jsc.broadcast(w.toByteArray());
    for (int job = 0; job < 2; job++) {
      // 6 partitions of 5 rows in batches of 4: every partition ends with a short batch
      List<Vector> got = ExecutorEval.features(jsc.parallelize(rows, 6), bw, centre, 4).collect();
      got = new ArrayList<>(got);
      got.sort(Comparator.comparingLong(Vector::index));
      assertEquals(rows.size(), got.size());
      for (int i = 0; i < rows.size(); i++) {
        assertEquals(i, got.get(i).index());
        assertEquals(i % 10, got.get(i).label());
        assertArrayEquals(expected[i], got.get(i).values(), 1e-5f, "row " + i);
      }
      // twelve tasks over two jobs, at most one model built per task slot
      int free = EvalModels.free();
      assertTrue(free >= 1 && free <= slots, free + " models held for " + slots + " slots");
    }
    // the next evaluation's weights replace the pool
    Broadcast<byte[]> next = jsc.broadcast(w.toByteArray());
    ExecutorEval.features(jsc.parallelize(rows, 3), next, centre, 8).count();
    assertTrue(EvalModels.free() <= slots);
    bw.destroy();
    next.destroy();
  }
}
