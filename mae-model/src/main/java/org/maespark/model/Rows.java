package org.maespark.model;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The row-wise kernels of the hand-written training step ({@link MaeStep}) that BLAS has no call
 * for: LayerNorm forward and backward (biased variance, eps 1e-6, as torch) and the softmax
 * backward. They read and write the arrays' memory in place through {@link #of}; statistics
 * accumulate in double, so they are at least as exact as torch's float kernels.
 */
final class Rows {
  private Rows() {}

  /**
   * The memory of a contiguous c-order array (or view of one) as a float buffer of its length.
   * ND4J's {@code asNioFloat()} covers the whole underlying buffer, so a view is sliced at its
   * offset here.
   */
  static FloatBuffer of(INDArray a) {
    if (!contiguous(a)) { // by strides: DL4J marks its rank-1 parameter views 'f'
      throw new IllegalArgumentException(
          "not a contiguous c-order array: " + a.shapeInfoToString());
    }
    // On a GPU backend the loops work on the host copy: bring it up to date and mark it as the
    // newest, so the device copies it back before its next use (both no-ops on the CPU backend).
    AffinityManager affinity = Nd4j.getAffinityManager();
    affinity.ensureLocation(a, AffinityManager.Location.HOST);
    affinity.tagLocation(a, AffinityManager.Location.HOST);
    return a.data().asNioFloat().slice((int) a.offset(), (int) a.length());
  }

  /** Whether the strides are c-order ones of the shape (dimensions of size 1 aside). */
  private static boolean contiguous(INDArray a) {
    long expected = 1;
    for (int i = a.rank() - 1; i >= 0; i--) {
      if (a.size(i) != 1 && a.stride(i) != expected) {
        return false;
      }
      expected *= a.size(i);
    }
    return true;
  }

  /**
   * LayerNorm of each row of x [rows, dim] into y, with gain w and shift b [dim]; keeps each row's
   * mean and 1/sqrt(var + eps) in {@code mean} and {@code rstd} [rows] for the backward.
   */
  static void layerNorm(
      FloatBuffer x,
      FloatBuffer w,
      FloatBuffer b,
      FloatBuffer y,
      float[] mean,
      float[] rstd,
      int rows,
      int dim) {
    for (int r = 0; r < rows; r++) {
      int o = r * dim;
      double s = 0;
      for (int j = 0; j < dim; j++) {
        s += x.get(o + j);
      }
      float mu = (float) (s / dim);
      double ss = 0;
      for (int j = 0; j < dim; j++) {
        float c = x.get(o + j) - mu;
        ss += (double) c * c;
      }
      float inv = (float) (1.0 / Math.sqrt(ss / dim + MaeGraph.LN_EPS));
      mean[r] = mu;
      rstd[r] = inv;
      for (int j = 0; j < dim; j++) {
        y.put(o + j, (x.get(o + j) - mu) * inv * w.get(j) + b.get(j));
      }
    }
  }

  /**
   * LayerNorm backward: with dy [rows, dim] the gradient of the output, adds the input gradient to
   * dx (accumulate: the residual stream's gradient is already there) and writes the gain and shift
   * gradients dw, db [dim]. {@code colW} and {@code colB} are double scratch of length dim.
   */
  static void layerNormBackward(
      FloatBuffer x,
      FloatBuffer w,
      float[] mean,
      float[] rstd,
      FloatBuffer dy,
      FloatBuffer dx,
      boolean accumulate,
      FloatBuffer dw,
      FloatBuffer db,
      double[] colW,
      double[] colB,
      int rows,
      int dim) {
    java.util.Arrays.fill(colW, 0, dim, 0);
    java.util.Arrays.fill(colB, 0, dim, 0);
    for (int r = 0; r < rows; r++) {
      int o = r * dim;
      float mu = mean[r];
      float inv = rstd[r];
      double sumG = 0; // sum of dxhat
      double sumGx = 0; // sum of dxhat * xhat
      for (int j = 0; j < dim; j++) {
        float xhat = (x.get(o + j) - mu) * inv;
        float g = dy.get(o + j);
        colW[j] += (double) g * xhat;
        colB[j] += g;
        float gh = g * w.get(j);
        sumG += gh;
        sumGx += (double) gh * xhat;
      }
      float meanG = (float) (sumG / dim);
      float meanGx = (float) (sumGx / dim);
      for (int j = 0; j < dim; j++) {
        float xhat = (x.get(o + j) - mu) * inv;
        float v = inv * (dy.get(o + j) * w.get(j) - meanG - xhat * meanGx);
        dx.put(o + j, accumulate ? dx.get(o + j) + v : v);
      }
    }
    for (int j = 0; j < dim; j++) {
      dw.put(j, (float) colW[j]);
      db.put(j, (float) colB[j]);
    }
  }

  /** Column sums of x [rows, cols] into out [cols], accumulated in double. */
  static void columnSums(FloatBuffer x, FloatBuffer out, int rows, int cols) {
    double[] acc = new double[cols];
    for (int r = 0; r < rows; r++) {
      int o = r * cols;
      for (int j = 0; j < cols; j++) {
        acc[j] += x.get(o + j);
      }
    }
    for (int j = 0; j < cols; j++) {
      out.put(j, (float) acc[j]);
    }
  }

  /** Exact GELU from erf(f / sqrt 2): g = f/2 * (1 + erf), elementwise. */
  static void gelu(FloatBuffer f, FloatBuffer erf, FloatBuffer g, int n) {
    for (int i = 0; i < n; i++) {
      g.put(i, 0.5f * f.get(i) * (1f + erf.get(i)));
    }
  }

  /**
   * GELU backward in place: dg *= gelu'(f) = (1 + erf)/2 + f * e / sqrt(2 pi), with e = exp(-f^2/2)
   * computed by the caller (libnd4j's exp is vectorized; Java's Math.exp is not).
   */
  static void geluBackward(FloatBuffer f, FloatBuffer erf, FloatBuffer e, FloatBuffer dg, int n) {
    final float invSqrt2Pi = (float) (1 / Math.sqrt(2 * Math.PI));
    for (int i = 0; i < n; i++) {
      float d = 0.5f * (1f + erf.get(i)) + f.get(i) * e.get(i) * invSqrt2Pi;
      dg.put(i, dg.get(i) * d);
    }
  }

  /**
   * Softmax backward in place over rows of length n: dA becomes dS = A * (dA - sum(dA * A)) for
   * each row of the attention weights A.
   */
  static void softmaxBackward(FloatBuffer a, FloatBuffer da, long rows, int n) {
    for (long r = 0; r < rows; r++) {
      int o = (int) (r * n);
      double dot = 0;
      for (int j = 0; j < n; j++) {
        dot += (double) a.get(o + j) * da.get(o + j);
      }
      float d = (float) dot;
      for (int j = 0; j < n; j++) {
        da.put(o + j, a.get(o + j) * (da.get(o + j) - d));
      }
    }
  }
}
