package org.maespark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The row kernels against the textbook formulas in double, on shapes large enough to be split
 * across threads (the parity fixtures are small enough to stay on one): the scalar loops of {@link
 * Rows} and the SIMD ones of {@link VectorRows} (parameter {@code lanes}) to the same tolerances.
 */
class RowsTest {
  private static final int ROWS = 3001;
  private static final int DIM = 96;

  @Test
  void splitsLargeLoops() {
    assertTrue(
        Runtime.getRuntime().availableProcessors() < 2 || Rows.chunks(ROWS, DIM) > 1,
        "the loops below must run on more than one thread where there are cores");
  }

  @Test
  void rowsOfTheTestWidthFillWholeVectors() {
    assertTrue(VectorRows.fits(DIM), "rows of " + DIM + " must fill whole vectors");
  }

  @ParameterizedTest(name = "lanes={0}")
  @ValueSource(booleans = {false, true})
  void layerNormForwardAndBackwardMatchTheFormulas(boolean lanes) {
    Random rng = new Random(5);
    INDArray x = random(rng, ROWS, DIM, 3.0);
    INDArray w = random(rng, 1, DIM, 1.0);
    INDArray b = random(rng, 1, DIM, 1.0);
    INDArray dy = random(rng, ROWS, DIM, 1.0);
    INDArray y = Nd4j.create(DataType.FLOAT, ROWS, DIM);
    INDArray dx = random(rng, ROWS, DIM, 1.0);
    INDArray dx0 = dx.dup();
    INDArray dw = Nd4j.create(DataType.FLOAT, DIM);
    INDArray db = Nd4j.create(DataType.FLOAT, DIM);
    float[] mean = new float[ROWS];
    float[] rstd = new float[ROWS];
    if (lanes) {
      VectorRows.layerNorm(
          Rows.bytes(x), Rows.bytes(w), Rows.bytes(b), Rows.bytes(y), mean, rstd, ROWS, DIM);
      VectorRows.layerNormBackward(
          Rows.bytes(x),
          Rows.bytes(w),
          mean,
          rstd,
          Rows.bytes(dy),
          Rows.bytes(dx),
          true,
          Rows.bytes(dw),
          Rows.bytes(db),
          ROWS,
          DIM);
    } else {
      Rows.layerNorm(Rows.of(x), Rows.of(w), Rows.of(b), Rows.of(y), mean, rstd, ROWS, DIM);
      Rows.layerNormBackward(
          Rows.of(x),
          Rows.of(w),
          mean,
          rstd,
          Rows.of(dy),
          Rows.of(dx),
          true,
          Rows.of(dw),
          Rows.of(db),
          ROWS,
          DIM);
    }

    double[] wantDw = new double[DIM];
    double[] wantDb = new double[DIM];
    for (int r = 0; r < ROWS; r++) {
      double mu = 0;
      for (int j = 0; j < DIM; j++) {
        mu += x.getDouble(r, j) / DIM;
      }
      double var = 0;
      for (int j = 0; j < DIM; j++) {
        var += Math.pow(x.getDouble(r, j) - mu, 2) / DIM; // biased, as torch's LayerNorm
      }
      double inv = 1 / Math.sqrt(var + 1e-6);
      double[] xhat = new double[DIM];
      double sumG = 0;
      double sumGx = 0;
      for (int j = 0; j < DIM; j++) {
        xhat[j] = (x.getDouble(r, j) - mu) * inv;
        double want = xhat[j] * w.getDouble(0, j) + b.getDouble(0, j);
        assertEquals(want, y.getDouble(r, j), 1e-5 * Math.max(1, Math.abs(want)), "y");
        double g = dy.getDouble(r, j) * w.getDouble(0, j);
        sumG += g;
        sumGx += g * xhat[j];
        wantDw[j] += dy.getDouble(r, j) * xhat[j];
        wantDb[j] += dy.getDouble(r, j);
      }
      for (int j = 0; j < DIM; j++) {
        double g = dy.getDouble(r, j) * w.getDouble(0, j);
        double want = dx0.getDouble(r, j) + inv * (g - sumG / DIM - xhat[j] * sumGx / DIM);
        assertEquals(want, dx.getDouble(r, j), 1e-4 * Math.max(1, Math.abs(want)), "dx");
      }
    }
    for (int j = 0; j < DIM; j++) {
      assertEquals(wantDw[j], dw.getDouble(j), 1e-5 * Math.max(1, Math.abs(wantDw[j])), "dw");
      assertEquals(wantDb[j], db.getDouble(j), 1e-5 * Math.max(1, Math.abs(wantDb[j])), "db");
    }
  }

  /**
   * The column sums of LayerNorm's backward and of a bias gradient have the same bits on one thread
   * as on all of them (a Spark task with one core runs the loops on one).
   */
  @ParameterizedTest(name = "lanes={0}")
  @ValueSource(booleans = {false, true})
  void sumsDoNotDependOnTheThreads(boolean lanes) {
    try {
      float[] all = sums(lanes);
      Rows.threads(1);
      float[] one = sums(lanes);
      for (int i = 0; i < all.length; i++) {
        assertEquals(Float.floatToRawIntBits(all[i]), Float.floatToRawIntBits(one[i]), "sum " + i);
      }
    } finally {
      Rows.threads(Integer.MAX_VALUE);
    }
  }

  /** LayerNorm backward's dw and db and the column sums of dy, on fixed random data. */
  private static float[] sums(boolean lanes) {
    Random rng = new Random(7);
    INDArray x = random(rng, ROWS, DIM, 3.0);
    INDArray w = random(rng, 1, DIM, 1.0);
    INDArray dy = random(rng, ROWS, DIM, 1.0);
    INDArray y = Nd4j.create(DataType.FLOAT, ROWS, DIM);
    INDArray dx = Nd4j.create(DataType.FLOAT, ROWS, DIM);
    INDArray out = Nd4j.create(DataType.FLOAT, 3, DIM);
    float[] mean = new float[ROWS];
    float[] rstd = new float[ROWS];
    INDArray zero = Nd4j.create(DataType.FLOAT, 1, DIM);
    Rows.layerNorm(Rows.of(x), Rows.of(w), Rows.of(zero), Rows.of(y), mean, rstd, ROWS, DIM);
    if (lanes) {
      VectorRows.layerNormBackward(
          Rows.bytes(x),
          Rows.bytes(w),
          mean,
          rstd,
          Rows.bytes(dy),
          Rows.bytes(dx),
          false,
          Rows.bytes(out.getRow(0)),
          Rows.bytes(out.getRow(1)),
          ROWS,
          DIM);
    } else {
      Rows.layerNormBackward(
          Rows.of(x),
          Rows.of(w),
          mean,
          rstd,
          Rows.of(dy),
          Rows.of(dx),
          false,
          Rows.of(out.getRow(0)),
          Rows.of(out.getRow(1)),
          ROWS,
          DIM);
    }
    Rows.columnSums(Rows.of(dy), Rows.of(out.getRow(2)), ROWS, DIM);
    assertTrue(Rows.sumChunks(ROWS, DIM) > 1, "the sums must be split into parts");
    return out.data().asFloat();
  }

  @Test
  void softmaxBackwardAndColumnSumsMatchTheFormulas() {
    Random rng = new Random(6);
    INDArray a = org.nd4j.linalg.ops.transforms.Transforms.softmax(random(rng, ROWS, DIM, 2.0));
    INDArray da = random(rng, ROWS, DIM, 1.0);
    INDArray da0 = da.dup();
    Rows.softmaxBackward(Rows.of(a), Rows.of(da), ROWS, DIM);
    for (int r = 0; r < ROWS; r += 7) {
      double dot = 0;
      for (int j = 0; j < DIM; j++) {
        dot += a.getDouble(r, j) * da0.getDouble(r, j);
      }
      for (int j = 0; j < DIM; j++) {
        double want = a.getDouble(r, j) * (da0.getDouble(r, j) - dot);
        assertEquals(want, da.getDouble(r, j), 1e-6, "dS");
      }
    }
    INDArray sums = Nd4j.create(DataType.FLOAT, DIM);
    Rows.columnSums(Rows.of(da0), Rows.of(sums), ROWS, DIM);
    INDArray want = da0.castTo(DataType.DOUBLE).sum(0);
    for (int j = 0; j < DIM; j++) {
      assertEquals(want.getDouble(j), sums.getDouble(j), 1e-4, "column sum");
    }
  }

  /**
   * Both paths against the exact erf GELU; the SIMD one over all but the last 5 values (a length no
   * vector width divides, split across threads at unaligned points), which it must leave alone.
   */
  @ParameterizedTest(name = "lanes={0}")
  @ValueSource(booleans = {false, true})
  void geluIsTheExactErfFormAndItsDerivative(boolean lanes) {
    int n = lanes ? ROWS * DIM - 5 : ROWS * DIM;
    Random rng = new Random(7);
    INDArray f = Nd4j.rand(DataType.FLOAT, ROWS, DIM).muli(8).subi(4); // U(-4, 4)
    INDArray erf = Nd4j.create(DataType.FLOAT, ROWS, DIM);
    INDArray g = Nd4j.create(DataType.FLOAT, ROWS, DIM);
    INDArray dg = random(rng, ROWS, DIM, 1.0);
    INDArray dg0 = dg.dup();
    if (lanes) {
      VectorRows.gelu(Rows.bytes(f), Rows.bytes(erf), Rows.bytes(g), n);
      VectorRows.geluBackward(Rows.bytes(f), Rows.bytes(erf), Rows.bytes(dg), n);
    } else {
      f.mul(Math.sqrt(0.5), erf);
      Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Erf(erf, erf));
      Rows.gelu(Rows.of(f), Rows.of(erf), Rows.of(g), n);
      INDArray e = org.nd4j.linalg.ops.transforms.Transforms.exp(f.mul(f).muli(-0.5), true);
      Rows.geluBackward(Rows.of(f), Rows.of(erf), Rows.of(e), Rows.of(dg), n);
    }
    FloatBuffer fb = Rows.of(f);
    for (int i = 0; i < n; i += 13) {
      double v = fb.get(i);
      double h = 1e-3;
      double want = gelu(v);
      assertEquals(want, g.getDouble(i / DIM, i % DIM), 1e-5 * Math.max(1, Math.abs(want)));
      double slope = (gelu(v + h) - gelu(v - h)) / (2 * h);
      double wantDg = dg0.getDouble(i / DIM, i % DIM) * slope;
      assertEquals(wantDg, dg.getDouble(i / DIM, i % DIM), 1e-4 * Math.max(1, Math.abs(wantDg)));
    }
    for (int i = n; i < ROWS * DIM; i++) {
      assertEquals(0.0, g.getDouble(i / DIM, i % DIM), "beyond n");
      assertEquals(dg0.getDouble(i / DIM, i % DIM), dg.getDouble(i / DIM, i % DIM), "beyond n");
    }
  }

  /**
   * x/2 (1 + erf(x/sqrt 2)) in double, erf by its Taylor series (exact to ~1e-13 for |x| &lt;= 4).
   */
  private static double gelu(double x) {
    double z = x / Math.sqrt(2);
    double term = z;
    double sum = z;
    for (int k = 1; k < 200; k++) {
      term *= -z * z / k;
      sum += term / (2 * k + 1);
    }
    return x / 2 * (1 + 2 / Math.sqrt(Math.PI) * sum);
  }

  private static INDArray random(Random rng, int rows, int cols, double scale) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (scale * rng.nextGaussian());
    }
    return Nd4j.create(v, new long[] {rows, cols}, 'c');
  }
}
