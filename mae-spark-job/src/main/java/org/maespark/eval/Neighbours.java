package org.maespark.eval;

import java.io.Serializable;

/**
 * The k most similar training rows found so far for each of M query (validation) rows: their
 * similarities and labels. One per partition of the training features, merged pairwise on the way
 * to the driver, so the kNN over the whole training set moves only {@code M * k} pairs per
 * partition. Per query row a min-heap: its root is the weakest of the current k.
 */
public final class Neighbours implements Serializable {
  private final int k;
  private final float[] sim; // [M * k]
  private final int[] label; // [M * k]
  private final int[] size; // [M] filled slots per row

  public Neighbours(int rows, int k) {
    this.k = k;
    this.sim = new float[rows * k];
    this.label = new int[rows * k];
    this.size = new int[rows];
  }

  public int rows() {
    return size.length;
  }

  /** Offers training row with similarity {@code s} and label {@code y} to query row {@code row}. */
  public void offer(int row, float s, int y) {
    int base = row * k;
    int n = size[row];
    if (n < k) {
      sim[base + n] = s;
      label[base + n] = y;
      size[row] = n + 1;
      siftUp(base, n);
    } else if (s > sim[base]) {
      sim[base] = s;
      label[base] = y;
      siftDown(base, k);
    }
  }

  /** Both sets of candidates, the k best per row kept (in place; returns this). */
  public Neighbours merge(Neighbours o) {
    for (int r = 0; r < size.length; r++) {
      for (int j = 0; j < o.size[r]; j++) {
        offer(r, o.sim[r * k + j], o.label[r * k + j]);
      }
    }
    return this;
  }

  /**
   * Top-1 accuracy in [0, 1]: each row's neighbours vote with weight exp(sim / T) (DINO / MAE kNN);
   * ties go to the lower class index, as torch's argmax.
   */
  public double top1(int[] trueLabels, int numClasses, double temperature) {
    int correct = 0;
    double[] votes = new double[numClasses];
    for (int r = 0; r < size.length; r++) {
      java.util.Arrays.fill(votes, 0);
      for (int j = 0; j < size[r]; j++) {
        votes[label[r * k + j]] += Math.exp(sim[r * k + j] / temperature);
      }
      int best = 0;
      for (int c = 1; c < numClasses; c++) {
        if (votes[c] > votes[best]) {
          best = c;
        }
      }
      if (best == trueLabels[r]) {
        correct++;
      }
    }
    return (double) correct / size.length;
  }

  private void siftUp(int base, int i) {
    while (i > 0) {
      int parent = (i - 1) / 2;
      if (sim[base + i] >= sim[base + parent]) {
        return;
      }
      swap(base + i, base + parent);
      i = parent;
    }
  }

  private void siftDown(int base, int n) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      int r = l + 1;
      int m = i;
      if (l < n && sim[base + l] < sim[base + m]) {
        m = l;
      }
      if (r < n && sim[base + r] < sim[base + m]) {
        m = r;
      }
      if (m == i) {
        return;
      }
      swap(base + i, base + m);
      i = m;
    }
  }

  private void swap(int a, int b) {
    float ts = sim[a];
    sim[a] = sim[b];
    sim[b] = ts;
    int tl = label[a];
    label[a] = label[b];
    label[b] = tl;
  }
}
