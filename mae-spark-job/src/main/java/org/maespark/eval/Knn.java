package org.maespark.eval;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Weighted kNN classification on features (the DINO / MAE-style monitor): cosine similarity of
 * L2-normalised features, the k most similar training samples vote with weight exp(sim / T), the
 * class with the largest vote wins.
 */
public final class Knn {
  private Knn() {}

  /**
   * Top-1 accuracy in [0, 1] of {@code val [M, D]} against {@code train [N, D]}.
   *
   * @param trainLabels class index per training row
   * @param valLabels class index per validation row
   */
  public static double top1(
      INDArray train,
      int[] trainLabels,
      INDArray val,
      int[] valLabels,
      int numClasses,
      int k,
      double temperature) {
    INDArray tr = l2normalize(train); // [N, D]
    INDArray va = l2normalize(val); // [M, D]
    int kk = (int) Math.min(k, tr.size(0));
    int correct = 0;
    int chunk = 256;
    for (int start = 0; start < va.size(0); start += chunk) {
      int end = (int) Math.min(va.size(0), start + chunk);
      INDArray sim =
          va.get(NDArrayIndex.interval(start, end), NDArrayIndex.all())
              .mmul(tr.transpose()); // [m, N]
      float[][] s = sim.toFloatMatrix();
      for (int i = 0; i < s.length; i++) {
        int[] top = topK(s[i], kk);
        double[] votes = new double[numClasses];
        for (int j : top) {
          votes[trainLabels[j]] += Math.exp(s[i][j] / temperature);
        }
        int best = 0;
        for (int c = 1; c < numClasses; c++) {
          if (votes[c] > votes[best]) {
            best = c;
          }
        }
        if (best == valLabels[start + i]) {
          correct++;
        }
      }
    }
    return (double) correct / va.size(0);
  }

  static INDArray l2normalize(INDArray x) {
    INDArray norms = x.norm2(1).reshape(x.size(0), 1).addi(1e-12); // [N, 1]
    return x.divColumnVector(norms);
  }

  /** Indices of the k largest values (order among them irrelevant). */
  static int[] topK(float[] v, int k) {
    int[] idx = new int[k];
    float[] val = new float[k];
    int n = 0;
    for (int j = 0; j < v.length; j++) {
      if (n < k) {
        idx[n] = j;
        val[n] = v[j];
        n++;
        siftUp(idx, val, n - 1);
      } else if (v[j] > val[0]) {
        idx[0] = j;
        val[0] = v[j];
        siftDown(idx, val, k);
      }
    }
    return idx;
  }

  // a min-heap on val: the root is the smallest of the current top k
  private static void siftUp(int[] idx, float[] val, int i) {
    while (i > 0) {
      int parent = (i - 1) / 2;
      if (val[i] >= val[parent]) {
        return;
      }
      swap(idx, val, i, parent);
      i = parent;
    }
  }

  private static void siftDown(int[] idx, float[] val, int n) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      int r = l + 1;
      int m = i;
      if (l < n && val[l] < val[m]) {
        m = l;
      }
      if (r < n && val[r] < val[m]) {
        m = r;
      }
      if (m == i) {
        return;
      }
      swap(idx, val, i, m);
      i = m;
    }
  }

  private static void swap(int[] idx, float[] val, int a, int b) {
    int ti = idx[a];
    idx[a] = idx[b];
    idx[b] = ti;
    float tv = val[a];
    val[a] = val[b];
    val[b] = tv;
  }
}
