package org.maespark.model;

import java.util.Map;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The matrix products of the hand-written step: torch's {@code Linear} forward and backward as BLAS
 * gemm calls into preallocated outputs (transposes as gemm flags, no copies), and batched products
 * for attention. Each is one native call, on any ND4J backend.
 */
final class Kernels {
  private Kernels() {}

  /**
   * y = x W^T + b: x [M, in], W [out, in], b [out], y [M, out]. y starts as b in every row and the
   * gemm adds x W^T to it (beta 1): 15-27% faster on the model's shapes than adding b after the
   * gemm with libnd4j's broadcast op, which also saves the gemm's pass that zeroes y.
   */
  static void linear(INDArray x, INDArray w, INDArray b, INDArray y) {
    Rows.fillRows(y, b);
    Nd4j.gemm(x, w, y, false, true, 1.0, 1.0);
  }

  /**
   * y = r + x W^T + b (a residual branch added to the stream r): y starts as r + b in every row,
   * one pass, and the gemm adds x W^T (beta 1).
   */
  static void linearAdd(INDArray x, INDArray w, INDArray b, INDArray r, INDArray y) {
    Nd4j.exec(new BroadcastAddOp(r, b, y, 1));
    Nd4j.gemm(x, w, y, false, true, 1.0, 1.0);
  }

  /**
   * Backward of {@link #linear} for dy [M, out]: dW = dy^T x, db = column sums of dy, and dx = dy W
   * [M, in] unless dx is null. The column sums are a row loop: libnd4j's reduction along dimension
   * 0 took longer than the gemm beside it.
   */
  static void linearBackward(
      INDArray dy, INDArray x, INDArray w, INDArray dw, INDArray db, INDArray dx) {
    Nd4j.gemm(dy, x, dw.reshape('c', w.size(0), x.size(1)), true, false, 1.0, 0.0);
    Rows.columnSums(Rows.of(dy), Rows.of(db), (int) dy.size(0), (int) dy.size(1));
    if (dx != null) {
      Nd4j.gemm(dy, w.reshape('c', w.size(0), x.size(1)), dx, false, false, 1.0, 0.0);
    }
  }

  /** c = alpha * op(a) op(b) for each of the leading-dimension slices: [B, m, k] x [B, k, n]. */
  static void bmm(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, double alpha) {
    MMulTranspose mt = MMulTranspose.builder().transposeA(ta).transposeB(tb).build();
    Nd4j.exec(new Mmul(a, b, c, alpha, 0.0, mt));
  }

  /** The array of official key {@code key} in a DL4J parameter or gradient table. */
  static INDArray get(Map<String, INDArray> table, String key) {
    INDArray a = table.get(MaeParams.toGraphName(key));
    if (a == null) {
      throw new IllegalStateException("no parameter " + key + " in the layer");
    }
    return a;
  }
}
