package org.maespark.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fixed 2-D sin-cos position embeddings (official {@code get_2d_sincos_pos_embed}), computed in
 * double and stored as float like the official code.
 */
public final class PosEmbed {
  private PosEmbed() {}

  /**
   * The embedding {@code [1, 1 + g*g, dim]} with a zero cls row. Token k = row * g + col; the first
   * dim/2 channels encode the COLUMN index and the last dim/2 the ROW index (the official code
   * names them the other way round but feeds meshgrid(w, h)[0], the column).
   */
  public static INDArray sincos2d(int dim, int grid) {
    float[] out = new float[(1 + grid * grid) * dim];
    int half = dim / 2;
    for (int row = 0; row < grid; row++) {
      for (int col = 0; col < grid; col++) {
        int base = (1 + row * grid + col) * dim;
        sincos1d(half, col, out, base);
        sincos1d(half, row, out, base + half);
      }
    }
    return Nd4j.create(out, new long[] {1, 1 + grid * grid, dim}, DataType.FLOAT);
  }

  /** [sin(pos * w_k) | cos(pos * w_k)], w_k = 10000^(-k / (dim/2)), k &lt; dim/2. */
  private static void sincos1d(int dim, double pos, float[] out, int offset) {
    int half = dim / 2;
    for (int k = 0; k < half; k++) {
      double omega = 1.0 / Math.pow(10000.0, k / (double) half);
      out[offset + k] = (float) Math.sin(pos * omega);
      out[offset + half + k] = (float) Math.cos(pos * omega);
    }
  }
}
