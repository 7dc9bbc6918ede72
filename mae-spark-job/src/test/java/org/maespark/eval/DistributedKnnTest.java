package org.maespark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.junit.jupiter.api.Test;
import org.maespark.testing.SparkTestSession;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The kNN as a Spark job (val broadcast, top k per partition, merged) gives exactly the
 * single-machine kNN's answer, however the training set is partitioned.
 */
class DistributedKnnTest {
  @Test
  void partitionedKnnEqualsTheSingleMachineKnn() {
    int[] ytr = new int[6 * 40];
    int[] yva = new int[6 * 10];
    INDArray tr = KnnProbeTest.blobs(40, 6, 12, 2.5, 1, ytr); // noisy: kNN far from perfect
    INDArray va = KnnProbeTest.blobs(10, 6, 12, 2.5, 2, yva);
    double single = Knn.top1(tr, ytr, va, yva, 6, 20, 0.07);

    List<Vector> rows = new ArrayList<>();
    float[][] t = tr.toFloatMatrix();
    for (int i = 0; i < t.length; i++) {
      rows.add(new Vector(i, ytr[i], t[i]));
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    Broadcast<float[][]> vb = jsc.broadcast(va.toFloatMatrix());
    for (int parts : new int[] {1, 3, 7}) {
      for (int chunk : new int[] {5, 64}) {
        Neighbours nb = ExecutorEval.knn(jsc.parallelize(rows, parts), vb, 0, 12, 20, chunk);
        assertEquals(single, nb.top1(yva, 6, 0.07), 1e-12, parts + " partitions, chunk " + chunk);
      }
    }
    // a slice of the vectors (how cls and mean halves are scored) equals kNN on that slice
    double half =
        Knn.top1(
            ExecutorEval.slice(t, 6, 12),
            ytr,
            ExecutorEval.slice(va.toFloatMatrix(), 6, 12),
            yva,
            6,
            20,
            0.07);
    Neighbours nb = ExecutorEval.knn(jsc.parallelize(rows, 4), vb, 6, 12, 20, 16);
    assertEquals(half, nb.top1(yva, 6, 0.07), 1e-12);
    vb.destroy();
  }
}
