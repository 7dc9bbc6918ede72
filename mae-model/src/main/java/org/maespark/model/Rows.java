package org.maespark.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The row-wise kernels of the hand-written training step ({@link MaeStep}) that BLAS has no call
 * for: LayerNorm forward and backward (biased variance, eps 1e-6, as torch) and the softmax
 * backward. They read and write the arrays' memory in place through {@link #of}; statistics
 * accumulate in double, so they are at least as exact as torch's float kernels.
 */
final class Rows {
  private Rows() {}

  /**
   * Whether the GELU and LayerNorm loops run in SIMD lanes ({@link VectorRows}): the JVM was
   * started with {@code --add-modules=jdk.incubator.vector}.
   */
  static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  /**
   * The memory of a contiguous c-order array (or view of one) as a float buffer of its length.
   * ND4J's {@code asNioFloat()} covers the whole underlying buffer, so a view is sliced at its
   * offset here.
   */
  static FloatBuffer of(INDArray a) {
    onHost(a);
    return a.data().asNioFloat().slice((int) a.offset(), (int) a.length());
  }

  /** As {@link #of}, the memory as bytes in the machine's order (for {@link VectorRows}). */
  static ByteBuffer bytes(INDArray a) {
    onHost(a);
    return a.data()
        .asNio()
        .slice(4 * (int) a.offset(), 4 * (int) a.length())
        .order(ByteOrder.nativeOrder());
  }

  private static void onHost(INDArray a) {
    if (!contiguous(a)) { // by strides: DL4J marks its rank-1 parameter views 'f'
      throw new IllegalArgumentException(
          "not a contiguous c-order array: " + a.shapeInfoToString());
    }
    // On a GPU backend the loops work on the host copy: bring it up to date and mark it as the
    // newest, so the device copies it back before its next use (both no-ops on the CPU backend).
    AffinityManager affinity = Nd4j.getAffinityManager();
    affinity.ensureLocation(a, AffinityManager.Location.HOST);
    affinity.tagLocation(a, AffinityManager.Location.HOST);
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

  /** A loop body over rows [lo, hi). */
  interface Range {
    void run(int lo, int hi);
  }

  /**
   * Threads for the row loops: the caller and the common pool's workers, at most the cores; fewer
   * when a Spark task has fewer cores ({@link MaeModel#loopThreads}).
   */
  private static volatile int threads = availableThreads();

  private static int availableThreads() {
    return Math.max(
        1,
        Math.min(
            Runtime.getRuntime().availableProcessors(),
            ForkJoinPool.getCommonPoolParallelism() + 1));
  }

  /** Sets the row loops' threads, at most what {@link #availableThreads} allows; at least 1. */
  static void threads(int n) {
    threads = Math.max(1, Math.min(n, availableThreads()));
  }

  static int threads() {
    return threads;
  }

  /** Elements per chunk below which a loop stays on the calling thread. */
  private static final long MIN_CHUNK = 1 << 15;

  /**
   * The number of chunks {@link #parallel} splits {@code rows} rows of {@code width} elements into:
   * one per thread, fewer when the loop is too small to pay for the hand-off.
   */
  static int chunks(int rows, long width) {
    return (int) Math.max(1, Math.min(Math.min(threads, rows), rows * width / MIN_CHUNK));
  }

  /** Most parts a column sum is split into. */
  private static final int SUM_CHUNKS = 8;

  /**
   * The number of parts a column sum over {@code rows} rows of {@code width} elements adds up
   * separately (then sums in part order): set by the sizes alone, never by the threads, so that the
   * sums have the same bits on any machine and in a Spark task of any number of cores.
   */
  static int sumChunks(int rows, long width) {
    return (int) Math.max(1, Math.min(Math.min(SUM_CHUNKS, rows), rows * width / MIN_CHUNK));
  }

  /**
   * Runs {@code body} over [0, rows) in {@code chunks} contiguous ranges, the ranges in parallel
   * (BLAS and libnd4j's threads are idle while these loops run), or one after another when the
   * loops have one thread.
   */
  static void parallel(int rows, int chunks, Range body) {
    if (chunks <= 1) {
      body.run(0, rows);
      return;
    }
    if (threads == 1) {
      for (int c = 0; c < chunks; c++) {
        body.run(rows * c / chunks, rows * (c + 1) / chunks);
      }
      return;
    }
    IntStream.range(0, chunks)
        .parallel()
        .forEach(c -> body.run(rows * c / chunks, rows * (c + 1) / chunks));
  }

  /**
   * LayerNorm of each row of x [rows, dim] into y (same shape) with gain w and shift b [dim]: in
   * lanes ({@link VectorRows}) where the JVM has them and the width fits, else the loops below.
   */
  static void layerNorm(
      INDArray x, INDArray w, INDArray b, INDArray y, float[] mean, float[] rstd) {
    int rows = (int) y.size(0);
    int dim = (int) y.size(1);
    if (VECTOR && VectorRows.fits(dim)) {
      VectorRows.layerNorm(bytes(x), bytes(w), bytes(b), bytes(y), mean, rstd, rows, dim);
    } else {
      layerNorm(of(x), of(w), of(b), of(y), mean, rstd, rows, dim);
    }
  }

  /** LayerNorm backward (the loops below say what it computes), in lanes where it can be. */
  static void layerNormBackward(
      INDArray x,
      INDArray w,
      float[] mean,
      float[] rstd,
      INDArray dy,
      INDArray dx,
      boolean accumulate,
      INDArray dw,
      INDArray db) {
    int rows = (int) dy.size(0);
    int dim = (int) dy.size(1);
    if (VECTOR && VectorRows.fits(dim)) {
      VectorRows.layerNormBackward(
          bytes(x),
          bytes(w),
          mean,
          rstd,
          bytes(dy),
          bytes(dx),
          accumulate,
          bytes(dw),
          bytes(db),
          rows,
          dim);
    } else {
      layerNormBackward(
          of(x), of(w), mean, rstd, of(dy), of(dx), accumulate, of(dw), of(db), rows, dim);
    }
  }

  /**
   * Exact (erf) GELU of f into g, keeping erf(f / sqrt 2) in erf (all of one shape): in lanes
   * ({@link VectorRows}) where the JVM has them, else libnd4j's erf and the loop below.
   */
  static void gelu(INDArray f, INDArray erf, INDArray g) {
    int n = (int) g.length();
    if (VECTOR) {
      VectorRows.gelu(bytes(f), bytes(erf), bytes(g), n);
    } else {
      f.mul(Math.sqrt(0.5), erf);
      Nd4j.exec(new Erf(erf, erf));
      gelu(of(f), of(erf), of(g), n);
    }
  }

  /**
   * GELU backward in place on dg, with the forward's f and erf; the scalar path overwrites {@code
   * scratch} (f's shape) with exp(-f^2/2).
   */
  static void geluBackward(INDArray f, INDArray erf, INDArray dg, INDArray scratch) {
    int n = (int) dg.length();
    if (VECTOR) {
      VectorRows.geluBackward(bytes(f), bytes(erf), bytes(dg), n);
    } else {
      f.mul(f, scratch);
      scratch.muli(-0.5);
      Transforms.exp(scratch, false);
      geluBackward(of(f), of(erf), of(scratch), of(dg), n);
    }
  }

  /** Every row of y [rows, cols] set to v [cols] (one bulk copy per row). */
  static void fillRows(INDArray y, INDArray v) {
    int cols = (int) y.size(1);
    float[] row = new float[cols];
    of(v).get(0, row);
    FloatBuffer out = of(y);
    for (int r = 0; r < y.size(0); r++) {
      out.put(r * cols, row);
    }
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
    parallel(
        rows,
        chunks(rows, dim),
        (lo, hi) -> {
          for (int r = lo; r < hi; r++) {
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
        });
  }

  /**
   * LayerNorm backward: with dy [rows, dim] the gradient of the output, writes (or, with {@code
   * accumulate}, adds: the residual stream's gradient is already there) the input gradient to dx
   * and writes the gain and shift gradients dw, db [dim].
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
      int rows,
      int dim) {
    int chunks = sumChunks(rows, dim);
    double[][] colW = new double[chunks][dim]; // per chunk, summed in chunk order below
    double[][] colB = new double[chunks][dim];
    parallel(
        chunks,
        chunks,
        (c, unused) -> {
          double[] cw = colW[c];
          double[] cb = colB[c];
          for (int r = rows * c / chunks; r < rows * (c + 1) / chunks; r++) {
            int o = r * dim;
            float mu = mean[r];
            float inv = rstd[r];
            double sumG = 0; // sum of dxhat
            double sumGx = 0; // sum of dxhat * xhat
            for (int j = 0; j < dim; j++) {
              float xhat = (x.get(o + j) - mu) * inv;
              float g = dy.get(o + j);
              cw[j] += (double) g * xhat;
              cb[j] += g;
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
        });
    sumParts(colW, dw);
    sumParts(colB, db);
  }

  /** Column sums of x [rows, cols] into out [cols], accumulated in double. */
  static void columnSums(FloatBuffer x, FloatBuffer out, int rows, int cols) {
    int chunks = sumChunks(rows, cols);
    double[][] acc = new double[chunks][cols];
    parallel(
        chunks,
        chunks,
        (c, unused) -> {
          double[] a = acc[c];
          for (int r = rows * c / chunks; r < rows * (c + 1) / chunks; r++) {
            int o = r * cols;
            for (int j = 0; j < cols; j++) {
              a[j] += x.get(o + j);
            }
          }
        });
    sumParts(acc, out);
  }

  /** out[j] = the sum over parts p of parts[p][j], in part order (the same for any threads). */
  static void sumParts(double[][] parts, FloatBuffer out) {
    for (int j = 0; j < parts[0].length; j++) {
      double s = 0;
      for (double[] part : parts) {
        s += part[j];
      }
      out.put(j, (float) s);
    }
  }

  /** Exact GELU from erf(f / sqrt 2): g = f/2 * (1 + erf), elementwise over n values. */
  static void gelu(FloatBuffer f, FloatBuffer erf, FloatBuffer g, int n) {
    parallel(
        n,
        chunks(n, 1),
        (lo, hi) -> {
          for (int i = lo; i < hi; i++) {
            g.put(i, 0.5f * f.get(i) * (1f + erf.get(i)));
          }
        });
  }

  /**
   * GELU backward in place: dg *= gelu'(f) = (1 + erf)/2 + f * e / sqrt(2 pi), with e = exp(-f^2/2)
   * computed by the caller (libnd4j's exp is vectorized; Java's Math.exp is not).
   */
  static void geluBackward(FloatBuffer f, FloatBuffer erf, FloatBuffer e, FloatBuffer dg, int n) {
    final float invSqrt2Pi = (float) (1 / Math.sqrt(2 * Math.PI));
    parallel(
        n,
        chunks(n, 1),
        (lo, hi) -> {
          for (int i = lo; i < hi; i++) {
            float d = 0.5f * (1f + erf.get(i)) + f.get(i) * e.get(i) * invSqrt2Pi;
            dg.put(i, dg.get(i) * d);
          }
        });
  }

  /**
   * Softmax backward in place over rows of length n: dA becomes dS = A * (dA - sum(dA * A)) for
   * each row of the attention weights A.
   */
  static void softmaxBackward(FloatBuffer a, FloatBuffer da, int rows, int n) {
    parallel(
        rows,
        chunks(rows, n),
        (lo, hi) -> {
          for (int r = lo; r < hi; r++) {
            int o = r * n;
            double dot = 0;
            for (int j = 0; j < n; j++) {
              dot += (double) a.get(o + j) * da.get(o + j);
            }
            float d = (float) dot;
            for (int j = 0; j < n; j++) {
              da.put(o + j, a.get(o + j) * (da.get(o + j) - d));
            }
          }
        });
  }
}
