package org.maespark.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The step's GELU and LayerNorm loops in SIMD lanes through the JDK's vector API ({@code
 * jdk.incubator.vector}): one pass over memory each, where the scalar path of {@link Rows} makes
 * three or four passes through libnd4j's element ops (erf and exp one element at a time). Loaded
 * only when the JVM was started with {@code --add-modules=jdk.incubator.vector} ({@link
 * Rows#VECTOR}); the launchers, the Spark settings and the tests start every JVM so.
 *
 * <p>erf is Abramowitz and Stegun's 7.1.26 (|error| < 1.5e-7), the approximation torch's own CPU
 * GELU evaluates in SIMD lanes, so the reference computes these values the same way (glibc's erff,
 * which the scalar path uses, differs from both by up to ~6e-7).
 *
 * <p>Every result is the same whether the JIT has compiled a loop or it still runs interpreted (a
 * resumed run must equal an uninterrupted one): the loops use only operations IEEE 754 rounds one
 * way (add, mul, fma, div, sqrt, conversions, bits). The API's own EXP is not (compiled it is
 * Intel's SVML, interpreted {@code Math.exp}), nor is {@code reduceLanes(ADD)} (order unspecified),
 * so exp and lane sums are written here.
 */
final class VectorRows {
  private VectorRows() {}

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

  /** Rows whose LayerNorm column sums accumulate in float before they go to double. */
  private static final int FLUSH = 32;

  private static final float SQRT_HALF = (float) Math.sqrt(0.5);
  private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));
  // Abramowitz and Stegun 7.1.26
  private static final float P = 0.3275911f;
  private static final float A1 = 0.254829592f;
  private static final float A2 = -0.284496736f;
  private static final float A3 = 1.421413741f;
  private static final float A4 = -1.453152027f;
  private static final float A5 = 1.061405429f;

  // exp: x = n ln2 + r (ln2 in two parts, Cody and Waite), exp(r) by Cephes' expf polynomial
  private static final float LOG2E = 1.44269504088896341f;
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;
  private static final float ROUND = 12582912f; // 1.5 * 2^23: n + ROUND holds n in its low bits
  private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
  private static final float E1 = 1.9875691500e-4f;
  private static final float E2 = 1.3981999507e-3f;
  private static final float E3 = 8.3334519073e-3f;
  private static final float E4 = 4.1665795894e-2f;
  private static final float E5 = 1.6666665459e-1f;
  private static final float E6 = 5.0000001201e-1f;

  /** e^x of each lane, within ~1 ulp, for x in [-87.3, 88] (clamped there: 2^n stays normal). */
  static FloatVector exp(FloatVector x) {
    x = x.lanewise(VectorOperators.MAX, -87.3f).lanewise(VectorOperators.MIN, 88f);
    FloatVector t = x.fma(LOG2E, ROUND); // n + ROUND, n = x log2(e) rounded to an integer
    FloatVector n = t.sub(ROUND);
    FloatVector r = x.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
    FloatVector p = r.fma(E1, E2).mul(r).add(E3).mul(r).add(E4).mul(r).add(E5).mul(r).add(E6);
    p = p.mul(r).mul(r).add(r).add(1f);
    IntVector pow2n =
        t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
    return p.mul(pow2n.reinterpretAsFloats());
  }

  /**
   * The sum of a vector's lanes stored in {@code lanes} (the species' length, overwritten), in a
   * fixed order: halves added pairwise. Callers store the vector themselves: a vector passed to a
   * method the JIT does not inline is boxed, an allocation per call (seen with JFR in the LayerNorm
   * loops).
   */
  static float sum(float[] lanes) {
    for (int w = lanes.length / 2; w > 0; w /= 2) {
      for (int i = 0; i < w; i++) {
        lanes[i] += lanes[i + w];
      }
    }
    return lanes[0];
  }

  /** erf of each lane. */
  static FloatVector erf(FloatVector z) {
    FloatVector az = z.abs();
    FloatVector t = FloatVector.broadcast(S, 1f).div(az.fma(P, 1f));
    FloatVector poly = t.fma(A5, A4).mul(t).add(A3).mul(t).add(A2).mul(t).add(A1).mul(t);
    FloatVector e = exp(az.mul(az).neg());
    FloatVector y = poly.mul(e).neg().add(1f);
    return y.lanewise(VectorOperators.NEG, z.compare(VectorOperators.LT, 0f));
  }

  /**
   * Exact (erf) GELU of n values: g = f/2 (1 + erf(f / sqrt 2)), keeping erf(f / sqrt 2) for the
   * backward.
   */
  static void gelu(ByteBuffer f, ByteBuffer erf, ByteBuffer g, int n) {
    Rows.parallel(
        n,
        Rows.chunks(n, 1),
        (lo, hi) -> {
          int i = lo;
          for (int end = lo + S.loopBound(hi - lo); i < end; i += S.length()) {
            FloatVector x = FloatVector.fromByteBuffer(S, f, 4 * i, NATIVE);
            FloatVector e = erf(x.mul(SQRT_HALF));
            e.intoByteBuffer(erf, 4 * i, NATIVE);
            x.mul(0.5f).mul(e.add(1f)).intoByteBuffer(g, 4 * i, NATIVE);
          }
          if (i < hi) { // the same in the lanes left
            VectorMask<Float> m = S.indexInRange(i, hi);
            FloatVector x = FloatVector.fromByteBuffer(S, f, 4 * i, NATIVE, m);
            FloatVector e = erf(x.mul(SQRT_HALF));
            e.intoByteBuffer(erf, 4 * i, NATIVE, m);
            x.mul(0.5f).mul(e.add(1f)).intoByteBuffer(g, 4 * i, NATIVE, m);
          }
        });
  }

  /**
   * GELU backward in place: dg *= gelu'(f) = (1 + erf)/2 + f exp(-f^2/2) / sqrt(2 pi), with erf the
   * forward's.
   */
  static void geluBackward(ByteBuffer f, ByteBuffer erf, ByteBuffer dg, int n) {
    Rows.parallel(
        n,
        Rows.chunks(n, 1),
        (lo, hi) -> {
          int i = lo;
          for (int end = lo + S.loopBound(hi - lo); i < end; i += S.length()) {
            FloatVector x = FloatVector.fromByteBuffer(S, f, 4 * i, NATIVE);
            FloatVector e = FloatVector.fromByteBuffer(S, erf, 4 * i, NATIVE);
            FloatVector dy = FloatVector.fromByteBuffer(S, dg, 4 * i, NATIVE);
            dy.mul(geluGrad(x, e)).intoByteBuffer(dg, 4 * i, NATIVE);
          }
          if (i < hi) {
            VectorMask<Float> m = S.indexInRange(i, hi);
            FloatVector x = FloatVector.fromByteBuffer(S, f, 4 * i, NATIVE, m);
            FloatVector e = FloatVector.fromByteBuffer(S, erf, 4 * i, NATIVE, m);
            FloatVector dy = FloatVector.fromByteBuffer(S, dg, 4 * i, NATIVE, m);
            dy.mul(geluGrad(x, e)).intoByteBuffer(dg, 4 * i, NATIVE, m);
          }
        });
  }

  private static FloatVector geluGrad(FloatVector x, FloatVector erf) {
    FloatVector pdf = exp(x.mul(x).mul(-0.5f)).mul(INV_SQRT_2PI);
    return erf.add(1f).mul(0.5f).add(x.mul(pdf));
  }

  /** Whether rows of {@code dim} values fill whole vectors (the LayerNorm loops need it). */
  static boolean fits(int dim) {
    return dim % S.length() == 0;
  }

  /** {@link Rows#layerNorm} in lanes, for rows of a width {@link #fits} accepts. */
  static void layerNorm(
      ByteBuffer x,
      ByteBuffer w,
      ByteBuffer b,
      ByteBuffer y,
      float[] mean,
      float[] rstd,
      int rows,
      int dim) {
    int len = S.length();
    Rows.parallel(
        rows,
        Rows.chunks(rows, dim),
        (lo, hi) -> {
          float[] lanes = new float[len];
          for (int r = lo; r < hi; r++) {
            int o = 4 * r * dim;
            FloatVector s = FloatVector.zero(S);
            for (int j = 0; j < dim; j += len) {
              s = s.add(FloatVector.fromByteBuffer(S, x, o + 4 * j, NATIVE));
            }
            s.intoArray(lanes, 0);
            float mu = sum(lanes) / dim;
            FloatVector ss = FloatVector.zero(S);
            for (int j = 0; j < dim; j += len) {
              FloatVector c = FloatVector.fromByteBuffer(S, x, o + 4 * j, NATIVE).sub(mu);
              ss = c.fma(c, ss);
            }
            ss.intoArray(lanes, 0);
            float inv = (float) (1.0 / Math.sqrt(sum(lanes) / dim + MaeGraph.LN_EPS));
            mean[r] = mu;
            rstd[r] = inv;
            for (int j = 0; j < dim; j += len) {
              FloatVector.fromByteBuffer(S, x, o + 4 * j, NATIVE)
                  .sub(mu)
                  .mul(inv)
                  .fma(
                      FloatVector.fromByteBuffer(S, w, 4 * j, NATIVE),
                      FloatVector.fromByteBuffer(S, b, 4 * j, NATIVE))
                  .intoByteBuffer(y, o + 4 * j, NATIVE);
            }
          }
        });
  }

  /** {@link Rows#layerNormBackward} in lanes, for rows of a width {@link #fits} accepts. */
  static void layerNormBackward(
      ByteBuffer x,
      ByteBuffer w,
      float[] mean,
      float[] rstd,
      ByteBuffer dy,
      ByteBuffer dx,
      boolean accumulate,
      ByteBuffer dw,
      ByteBuffer db,
      int rows,
      int dim) {
    int len = S.length();
    int chunks = Rows.sumChunks(rows, dim);
    double[][] colW = new double[chunks][dim]; // per chunk, summed in chunk order below
    double[][] colB = new double[chunks][dim];
    Rows.parallel(
        chunks,
        chunks,
        (c, unused) -> {
          // the column sums run in float lanes over FLUSH rows at a time, then go to double
          float[] cw = new float[dim];
          float[] cb = new float[dim];
          float[] lanes = new float[len];
          int first = rows * c / chunks;
          int last = rows * (c + 1) / chunks;
          for (int r = first; r < last; r++) {
            int o = 4 * r * dim;
            float mu = mean[r];
            float inv = rstd[r];
            FloatVector sumG = FloatVector.zero(S); // of dxhat
            FloatVector sumGx = FloatVector.zero(S); // of dxhat * xhat
            for (int j = 0; j < dim; j += len) {
              FloatVector xhat =
                  FloatVector.fromByteBuffer(S, x, o + 4 * j, NATIVE).sub(mu).mul(inv);
              FloatVector g = FloatVector.fromByteBuffer(S, dy, o + 4 * j, NATIVE);
              xhat.fma(g, FloatVector.fromArray(S, cw, j)).intoArray(cw, j);
              g.add(FloatVector.fromArray(S, cb, j)).intoArray(cb, j);
              FloatVector gh = g.mul(FloatVector.fromByteBuffer(S, w, 4 * j, NATIVE));
              sumG = sumG.add(gh);
              sumGx = gh.fma(xhat, sumGx);
            }
            sumG.intoArray(lanes, 0);
            float meanG = sum(lanes) / dim;
            sumGx.intoArray(lanes, 0);
            float meanGx = sum(lanes) / dim;
            for (int j = 0; j < dim; j += len) {
              FloatVector xhat =
                  FloatVector.fromByteBuffer(S, x, o + 4 * j, NATIVE).sub(mu).mul(inv);
              FloatVector v =
                  FloatVector.fromByteBuffer(S, dy, o + 4 * j, NATIVE)
                      .mul(FloatVector.fromByteBuffer(S, w, 4 * j, NATIVE))
                      .sub(meanG)
                      .sub(xhat.mul(meanGx))
                      .mul(inv);
              (accumulate ? v.add(FloatVector.fromByteBuffer(S, dx, o + 4 * j, NATIVE)) : v)
                  .intoByteBuffer(dx, o + 4 * j, NATIVE);
            }
            if ((r - first) % FLUSH == FLUSH - 1 || r == last - 1) {
              for (int j = 0; j < dim; j++) {
                colW[c][j] += cw[j];
                colB[c][j] += cb[j];
              }
              Arrays.fill(cw, 0f);
              Arrays.fill(cb, 0f);
            }
          }
        });
    Rows.sumParts(colW, dw.asFloatBuffer());
    Rows.sumParts(colB, db.asFloatBuffer());
  }
}
