package org.maespark.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Multi-head self-attention of a block, forward and backward, in SIMD lanes and straight on the
 * rows the linear layers read and write: q, k and v come from the qkv rows [N*T, 3*dim] (columns q
 * | k | v, head h at h*hd), the output goes to rows [N*T, dim] at the head's columns. The libnd4j
 * path ({@link Block}) copies q, k and v into per-head arrays, runs batched matmuls of tiny (T x
 * hd) matrices, a separate softmax, and copies the result back to rows: the copies and the
 * per-product overhead of the batched matmul cost more than its arithmetic at the model's sizes (T
 * = 13-65 tokens, hd = 16-64).
 *
 * <p>Each (image, head) pair is computed by one thread from start to end, in a fixed order, with
 * only operations IEEE 754 rounds one way and {@link VectorRows}' exp and lane sums, so the results
 * do not depend on the number of threads or on whether the JIT has compiled the loops.
 */
final class VectorAttention {
  private VectorAttention() {}

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

  /** Whether heads of {@code headDim} values fill whole vectors (these loops need it). */
  static boolean fits(int headDim) {
    return headDim % L == 0;
  }

  /** The shapes of one block's attention: n images of t tokens, heads of hd values each. */
  record Shape(int n, int t, int heads, int hd, float scale) {
    int dim() {
      return heads * hd;
    }

    /** A row of T scores padded to whole vectors. */
    int tp() {
      return (t + L - 1) / L * L;
    }
  }

  /** One thread's copies of a pair's q, k, v, weights and gradients, made once per call. */
  private static final class Pair {
    final float[] q; // [t, hd]
    final float[] k;
    final float[] v;
    final float[] dOut;
    final float[] out; // [t, hd]: the output, then dv, dq, dk in turn
    final float[] kt; // [hd, tp], zero beyond t (also v transposed)
    final float[] a; // [t, tp] attention weights, zero beyond t
    final float[] da; // [t, tp]
    final float[] ds; // [t, tp]
    final float[] tr; // [t, tp] a or ds transposed
    final float[] lanes = new float[L];

    Pair(Shape s) {
      int th = s.t() * s.hd();
      int tt = s.t() * s.tp();
      q = new float[th];
      k = new float[th];
      v = new float[th];
      dOut = new float[th];
      out = new float[th];
      kt = new float[s.hd() * s.tp()];
      a = new float[tt];
      da = new float[tt];
      ds = new float[tt];
      tr = new float[tt];
    }

    /** q, k and v of image img, head h, out of the qkv rows. */
    void load(ByteBuffer qkv, Shape s, int img, int h) {
      int dim = s.dim();
      read(qkv, 3 * dim, h * s.hd(), s, img, q);
      read(qkv, 3 * dim, dim + h * s.hd(), s, img, k);
      read(qkv, 3 * dim, 2 * dim + h * s.hd(), s, img, v);
    }
  }

  /** m [t, hd] of image img from rows of {@code width} values at column {@code col}. */
  private static void read(ByteBuffer rows, int width, int col, Shape s, int img, float[] m) {
    int hd = s.hd();
    for (int i = 0; i < s.t(); i++) {
      int o = 4 * ((img * s.t() + i) * width + col);
      for (int c = 0; c < hd; c += L) {
        FloatVector.fromByteBuffer(S, rows, o + 4 * c, NATIVE).intoArray(m, i * hd + c);
      }
    }
  }

  /**
   * m [t, hd] times {@code scale} into rows of {@code width} values at column {@code col} (a scale
   * of 1 changes no bit).
   */
  private static void write(
      float[] m, float scale, ByteBuffer rows, int width, int col, Shape s, int img) {
    int hd = s.hd();
    for (int i = 0; i < s.t(); i++) {
      int o = 4 * ((img * s.t() + i) * width + col);
      for (int c = 0; c < hd; c += L) {
        FloatVector.fromArray(S, m, i * hd + c).mul(scale).intoByteBuffer(rows, o + 4 * c, NATIVE);
      }
    }
  }

  /** The first {@code rows} rows of m [rows, cols] (row stride {@code ld}) transposed into mt. */
  private static void transpose(float[] m, int ld, int rows, int cols, float[] mt, int ldt) {
    for (int i = 0; i < rows; i++) {
      for (int c = 0; c < cols; c++) {
        mt[c * ldt + i] = m[i * ld + c];
      }
    }
  }

  /**
   * out[i, :w] = sum over c < kk of m[i * ldm + c] b[c, :w], for i < rows: b [kk, w], out [rows,
   * w], w a multiple of the vector length; every sum in order over c. Four rows at a time: their
   * four independent sums hide the FMA's latency, and each vector of b is loaded once for them.
   */
  private static void mul(float[] m, int ldm, float[] b, int w, int kk, int rows, float[] out) {
    int i = 0;
    for (; i + 4 <= rows; i += 4) {
      int m0 = i * ldm;
      int m1 = m0 + ldm;
      int m2 = m1 + ldm;
      int m3 = m2 + ldm;
      for (int j = 0; j < w; j += L) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        for (int c = 0; c < kk; c++) {
          FloatVector bv = FloatVector.fromArray(S, b, c * w + j);
          a0 = bv.fma(FloatVector.broadcast(S, m[m0 + c]), a0);
          a1 = bv.fma(FloatVector.broadcast(S, m[m1 + c]), a1);
          a2 = bv.fma(FloatVector.broadcast(S, m[m2 + c]), a2);
          a3 = bv.fma(FloatVector.broadcast(S, m[m3 + c]), a3);
        }
        a0.intoArray(out, i * w + j);
        a1.intoArray(out, (i + 1) * w + j);
        a2.intoArray(out, (i + 2) * w + j);
        a3.intoArray(out, (i + 3) * w + j);
      }
    }
    for (; i < rows; i++) {
      for (int j = 0; j < w; j += L) {
        FloatVector acc = FloatVector.zero(S);
        for (int c = 0; c < kk; c++) {
          acc =
              FloatVector.fromArray(S, b, c * w + j)
                  .fma(FloatVector.broadcast(S, m[i * ldm + c]), acc);
        }
        acc.intoArray(out, i * w + j);
      }
    }
  }

  /**
   * Forward: for each image and head, A = softmax(scale q k^T) over the t tokens, kept in attn
   * [N*H, t, t], and out = A v written to the out rows [N*t, dim].
   */
  static void forward(ByteBuffer qkv, ByteBuffer attn, ByteBuffer out, Shape s) {
    eachPair(s, attn, (w, weights, img, h) -> forward(qkv, weights, out, s, w, img, h));
  }

  /** The work of one (image, head) pair, with this thread's arrays and view of the weights. */
  private interface PairTask {
    void run(Pair w, FloatBuffer weights, int img, int h);
  }

  /** Runs {@code task} for every (image, head) pair, the pairs split over the threads. */
  private static void eachPair(Shape s, ByteBuffer attn, PairTask task) {
    int pairs = s.n() * s.heads();
    Rows.parallel(
        pairs,
        Rows.chunks(pairs, (long) s.t() * s.t() * s.hd() / 8),
        (lo, hi) -> {
          Pair w = new Pair(s);
          FloatBuffer weights = attn.asFloatBuffer();
          for (int p = lo; p < hi; p++) {
            task.run(w, weights, p / s.heads(), p % s.heads());
          }
        });
  }

  /*
   * No masked loads or stores, blends or vectors passed to helpers in these loops: on JDK 17 masked
   * memory operations are not compiled to SIMD instructions, and the fallbacks (and a vector passed
   * to a method the JIT does not inline) allocate on every call (~200-260 MB/s of garbage in the
   * fmnist-28 step, GC log). Rows are padded to whole vectors in Java arrays and copied in bulk instead.
   */
  private static void forward(
      ByteBuffer qkv, FloatBuffer attn, ByteBuffer out, Shape s, Pair w, int img, int h) {
    int t = s.t();
    int hd = s.hd();
    int tp = s.tp();
    w.load(qkv, s, img, h);
    transpose(w.k, hd, t, hd, w.kt, tp);
    mul(w.q, hd, w.kt, tp, hd, t, w.a); // q k^T
    for (int i = 0; i < t; i++) {
      int o = i * tp;
      Arrays.fill(w.a, o + t, o + tp, Float.NEGATIVE_INFINITY); // the padding: no part in max
      FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
      for (int j = 0; j < tp; j += L) {
        FloatVector x = FloatVector.fromArray(S, w.a, o + j).mul(s.scale());
        x.intoArray(w.a, o + j);
        max = max.max(x);
      }
      float m = max.reduceLanes(VectorOperators.MAX); // exact in any order
      for (int j = 0; j < tp; j += L) {
        VectorRows.exp(FloatVector.fromArray(S, w.a, o + j).sub(m)).intoArray(w.a, o + j);
      }
      Arrays.fill(w.a, o + t, o + tp, 0f); // and none in the sum
      FloatVector sum = FloatVector.zero(S);
      for (int j = 0; j < tp; j += L) {
        sum = sum.add(FloatVector.fromArray(S, w.a, o + j));
      }
      sum.intoArray(w.lanes, 0);
      float inv = 1f / VectorRows.sum(w.lanes);
      for (int j = 0; j < tp; j += L) {
        FloatVector.fromArray(S, w.a, o + j).mul(inv).intoArray(w.a, o + j);
      }
      attn.put(((img * s.heads() + h) * t + i) * t, w.a, o, t);
    }
    mul(w.a, tp, w.v, hd, t, t, w.out); // A v
    write(w.out, 1f, out, s.dim(), h * hd, s, img);
  }

  /**
   * Backward: with dOut the gradient of the out rows [N*t, dim] and the forward's qkv rows and
   * attn, writes the gradient of the qkv rows to dqkv [N*t, 3*dim].
   */
  static void backward(ByteBuffer qkv, ByteBuffer attn, ByteBuffer dOut, ByteBuffer dqkv, Shape s) {
    eachPair(s, attn, (w, weights, img, h) -> backward(qkv, weights, dOut, dqkv, s, w, img, h));
  }

  private static void backward(
      ByteBuffer qkv,
      FloatBuffer attn,
      ByteBuffer dOut,
      ByteBuffer dqkv,
      Shape s,
      Pair w,
      int img,
      int h) {
    int t = s.t();
    int hd = s.hd();
    int tp = s.tp();
    int dim = s.dim();
    w.load(qkv, s, img, h);
    read(dOut, dim, h * hd, s, img, w.dOut);
    for (int i = 0; i < t; i++) { // the padding of w.a stays zero
      attn.get(((img * s.heads() + h) * t + i) * t, w.a, i * tp, t);
    }
    transpose(w.v, hd, t, hd, w.kt, tp);
    mul(w.dOut, hd, w.kt, tp, hd, t, w.da); // dA = dO v^T
    transpose(w.a, tp, t, t, w.tr, tp);
    mul(w.tr, tp, w.dOut, hd, t, t, w.out); // dv = A^T dO
    write(w.out, 1f, dqkv, 3 * dim, 2 * dim + h * hd, s, img);
    // softmax backward: dS = A (dA - sum_j A dA)
    for (int i = 0; i < t; i++) {
      int o = i * tp;
      FloatVector dot = FloatVector.zero(S);
      for (int j = 0; j < tp; j += L) {
        dot = FloatVector.fromArray(S, w.a, o + j).fma(FloatVector.fromArray(S, w.da, o + j), dot);
      }
      dot.intoArray(w.lanes, 0);
      float sdot = VectorRows.sum(w.lanes);
      for (int j = 0; j < tp; j += L) {
        FloatVector.fromArray(S, w.da, o + j)
            .sub(sdot)
            .mul(FloatVector.fromArray(S, w.a, o + j))
            .intoArray(w.ds, o + j);
      }
    }
    mul(w.ds, tp, w.k, hd, t, t, w.out); // dq = scale dS k
    write(w.out, s.scale(), dqkv, 3 * dim, h * hd, s, img);
    transpose(w.ds, tp, t, t, w.tr, tp);
    mul(w.tr, tp, w.q, hd, t, t, w.out); // dk = scale dS^T q
    write(w.out, s.scale(), dqkv, 3 * dim, dim + h * hd, s, img);
  }
}
