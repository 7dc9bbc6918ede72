package org.maespark.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class KnnProbeTest {

  /** n points per class around class-specific directions in d dimensions, plus noise. */
  static INDArray blobs(int n, int classes, int d, double noise, long seed, int[] labelsOut) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[][] centres = new double[classes][d];
    SplittableRandom c = new SplittableRandom(99);
    for (double[] ce : centres) {
      for (int j = 0; j < d; j++) {
        ce[j] = c.nextDouble() * 2 - 1;
      }
    }
    double[][] x = new double[n * classes][d];
    for (int i = 0; i < x.length; i++) {
      labelsOut[i] = i % classes;
      for (int j = 0; j < d; j++) {
        x[i][j] = centres[i % classes][j] + noise * (rng.nextDouble() * 2 - 1);
      }
    }
    return Nd4j.createFromArray(x).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
  }

  @Test
  void topKFindsTheLargest() {
    float[] v = {0.1f, 0.9f, -1f, 0.5f, 0.95f, 0.2f};
    int[] top = Knn.topK(v, 3);
    Arrays.sort(top);
    assertArrayEquals(new int[] {1, 3, 4}, top);
  }

  @Test
  void knnSeparatesClustersAndIsAtChanceOnShuffledLabels() {
    int[] ltr = new int[400];
    int[] lva = new int[100];
    INDArray tr = blobs(100, 4, 16, 0.3, 1, ltr);
    INDArray va = blobs(25, 4, 16, 0.3, 2, lva);
    assertEquals(1.0, Knn.top1(tr, ltr, va, lva, 4, 20, 0.07), 0.02);
    int[] shuffled = ltr.clone();
    SplittableRandom r = new SplittableRandom(3);
    for (int i = shuffled.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = shuffled[i];
      shuffled[i] = shuffled[j];
      shuffled[j] = t;
    }
    double chance = Knn.top1(tr, shuffled, va, lva, 4, 20, 0.07);
    assertTrue(chance < 0.5, "kNN on shuffled labels should be near 0.25, got " + chance);
  }

  @Test
  void linearProbeLearnsSeparableClasses() {
    int[] ltr = new int[600];
    int[] lte = new int[148];
    INDArray tr = blobs(150, 4, 10, 0.6, 4, ltr);
    INDArray te = blobs(37, 4, 10, 0.6, 5, lte);
    double[] acc = new LinearProbe(10, 0.1, 32, 0).fitAndScore(tr, ltr, te, lte, 4);
    assertTrue(acc[0] > 0.9, "probe test accuracy " + acc[0]);
    assertTrue(acc[1] > 0.9, "probe train accuracy " + acc[1]);
  }
}
