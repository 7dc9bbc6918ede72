package org.maespark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Attention in lanes against the textbook formulas in double: the weights softmax(scale q k^T), the
 * output A v, and the gradients of q, k and v for a given gradient of the output, on token counts
 * below, at and beyond the vector length and on batches large enough to be split across threads.
 *
 * <p>Tolerances are float32 rounding: each attention weight within {@link #REL} relative per unit
 * of its score's distance from the row's largest and of its score's terms' magnitudes (exp turns
 * the score's absolute rounding error into a relative one: up to ~1e-5 here), and each output and
 * gradient, sums of products with those weights, within {@link #SUM} of the sum of its terms'
 * magnitudes.
 */
class VectorAttentionTest {
  private static final double REL = 1e-6;
  private static final double SUM = 1e-5;

  @ParameterizedTest(name = "n={0} t={1} heads={2} head width={3} vectors")
  @CsvSource({"3, 5, 2, 1", "2, 13, 3, 2", "4, 16, 2, 1", "2, 17, 1, 4", "64, 65, 4, 2"})
  void forwardAndBackwardMatchTheFormulas(int n, int t, int heads, int vectors) {
    int hd = vectors * lanes();
    assertTrue(VectorAttention.fits(hd));
    int dim = heads * hd;
    float scale = (float) Math.pow(hd, -0.5);
    VectorAttention.Shape s = new VectorAttention.Shape(n, t, heads, hd, scale);
    Random rng = new Random(7);
    ByteBuffer qkv = random(rng, n * t * 3 * dim, 1.0);
    ByteBuffer dOut = random(rng, n * t * dim, 1.0);
    ByteBuffer attn = random(rng, n * heads * t * t, 1.0); // overwritten
    ByteBuffer out = random(rng, n * t * dim, 1.0);
    ByteBuffer dqkv = random(rng, n * t * 3 * dim, 1.0);
    VectorAttention.forward(qkv, attn, out, s);
    VectorAttention.backward(qkv, attn, dOut, dqkv, s);

    for (int img = 0; img < n; img++) {
      for (int h = 0; h < heads; h++) {
        double[][] q = head(qkv, 3 * dim, h * hd, img, t, hd);
        double[][] k = head(qkv, 3 * dim, dim + h * hd, img, t, hd);
        double[][] v = head(qkv, 3 * dim, 2 * dim + h * hd, img, t, hd);
        double[][] dO = head(dOut, dim, h * hd, img, t, hd);
        String at = " of image " + img + ", head " + h;
        double[][] a = new double[t][t];
        for (int i = 0; i < t; i++) {
          double[] score = new double[t];
          double[] mag = new double[t];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < t; j++) {
            for (int c = 0; c < hd; c++) {
              score[j] += scale * q[i][c] * k[j][c];
              mag[j] += scale * Math.abs(q[i][c] * k[j][c]);
            }
            max = Math.max(max, score[j]);
          }
          double sum = 0;
          for (int j = 0; j < t; j++) {
            a[i][j] = Math.exp(score[j] - max);
            sum += a[i][j];
          }
          for (int j = 0; j < t; j++) {
            a[i][j] /= sum;
            float got = attn.getFloat(4 * (((img * heads + h) * t + i) * t + j));
            double tol = REL * a[i][j] * (1 + max - score[j] + mag[j]);
            assertEquals(a[i][j], got, tol, "A[" + i + "][" + j + "]" + at);
          }
        }
        double[][][] o = new double[2][t][hd]; // value, magnitude
        double[][] da = new double[t][t];
        double[][][] dv = new double[2][t][hd];
        for (int i = 0; i < t; i++) {
          for (int j = 0; j < t; j++) {
            da[i][j] = dot(dO[i], v[j]);
            for (int c = 0; c < hd; c++) {
              add(o, i, c, a[i][j] * v[j][c]);
              add(dv, j, c, a[i][j] * dO[i][c]);
            }
          }
        }
        double[][][] dq = new double[2][t][hd];
        double[][][] dk = new double[2][t][hd];
        for (int i = 0; i < t; i++) {
          double rowDot = dot(a[i], da[i]);
          for (int j = 0; j < t; j++) {
            double ds = a[i][j] * (da[i][j] - rowDot) * scale;
            for (int c = 0; c < hd; c++) {
              add(dq, i, c, ds * k[j][c]);
              add(dk, j, c, ds * q[i][c]);
            }
          }
        }
        assertHead("out" + at, o, out, dim, h * hd, img);
        assertHead("dq" + at, dq, dqkv, 3 * dim, h * hd, img);
        assertHead("dk" + at, dk, dqkv, 3 * dim, dim + h * hd, img);
        assertHead("dv" + at, dv, dqkv, 3 * dim, 2 * dim + h * hd, img);
      }
    }
  }

  /** The vector length of the loops: the smallest head width they take. */
  private static int lanes() {
    return IntStream.rangeClosed(1, 64).filter(VectorAttention::fits).findFirst().orElseThrow();
  }

  /** A term of sum [i][c]: its value into m[0], its magnitude into m[1]. */
  private static void add(double[][][] m, int i, int c, double term) {
    m[0][i][c] += term;
    m[1][i][c] += Math.abs(term);
  }

  private static void assertHead(
      String what, double[][][] want, ByteBuffer rows, int width, int col, int img) {
    int t = want[0].length;
    for (int i = 0; i < t; i++) {
      for (int c = 0; c < want[0][i].length; c++) {
        float got = rows.getFloat(4 * ((img * t + i) * width + col + c));
        assertEquals(want[0][i][c], got, SUM * want[1][i][c], what + " [" + i + "][" + c + "]");
      }
    }
  }

  private static double[][] head(ByteBuffer rows, int width, int col, int img, int t, int hd) {
    double[][] m = new double[t][hd];
    for (int i = 0; i < t; i++) {
      for (int c = 0; c < hd; c++) {
        m[i][c] = rows.getFloat(4 * ((img * t + i) * width + col + c));
      }
    }
    return m;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static ByteBuffer random(Random rng, int n, double scale) {
    ByteBuffer b = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
    for (int i = 0; i < n; i++) {
      b.putFloat(4 * i, (float) (scale * rng.nextGaussian()));
    }
    return b;
  }
}
