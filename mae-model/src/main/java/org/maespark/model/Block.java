package org.maespark.model;

import java.util.Map;
import org.maespark.model.StepProfile.Part;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One pre-norm transformer block (timm {@code Block}, as {@link MaeGraph#block}) with a
 * hand-written forward and backward for a fixed batch: x [N*T, dim] -> x + attn(norm1(x)), then +
 * mlp(norm2(.)). The forward keeps what the backward reads (LayerNorm outputs and statistics,
 * q/k/v, the attention weights, the MLP pre-activation and erf); every array is made once per batch
 * shape.
 *
 * <p>Attention runs in SIMD lanes on the qkv rows ({@link VectorAttention}) where the JVM has the
 * vector module and the head width fits its vectors; otherwise q, k and v are copied to per-head
 * arrays for libnd4j's batched matmuls and softmax.
 */
final class Block {

  /** Whether attention of heads of {@code dim / nHeads} values runs in {@link VectorAttention}. */
  static boolean lanes(int dim, int nHeads) {
    return Rows.VECTOR && VectorAttention.fits(dim / nHeads);
  }

  /** Arrays the blocks of one stack (same shapes) use in turn: nothing in them outlives a call. */
  static final class Scratch {
    final INDArray qkv; // [M, 3*dim]
    final INDArray dRows; // [M, dim]
    final INDArray dHidden; // [M, hidden]
    // the per-head path's only (null with lanes)
    final INDArray scores; // [N*H, T, T]
    final INDArray heads; // [N*H, T, hd] attention output, then its gradient
    final INDArray dqkvHeads; // [3, N*H, T, hd]
    final INDArray dA; // [N*H, T, T]

    Scratch(int n, int t, int dim, int nHeads, int hidden) {
      long m = (long) n * t;
      int hd = dim / nHeads;
      qkv = Nd4j.create(DataType.FLOAT, m, 3L * dim);
      dRows = Nd4j.create(DataType.FLOAT, m, dim);
      dHidden = Nd4j.create(DataType.FLOAT, m, hidden);
      boolean perHead = !lanes(dim, nHeads);
      scores = perHead ? Nd4j.create(DataType.FLOAT, (long) n * nHeads, t, t) : null;
      heads = perHead ? Nd4j.create(DataType.FLOAT, (long) n * nHeads, t, hd) : null;
      dqkvHeads = perHead ? Nd4j.create(DataType.FLOAT, 3, (long) n * nHeads, t, hd) : null;
      dA = perHead ? Nd4j.create(DataType.FLOAT, (long) n * nHeads, t, t) : null;
    }
  }

  private final String prefix;
  private final int rows;
  private final int tokens;
  private final int dim;
  private final int hidden;
  private final double scale;
  private final Scratch s;
  private final VectorAttention.Shape laneShape; // null: the per-head path

  // kept from the forward for the backward
  private final INDArray h1; // [M, dim] norm1(x)
  private final float[] mean1;
  private final float[] rstd1;
  private final INDArray qkv; // [M, 3*dim] with lanes, else [3, N*H, T, hd] (q, k, v by head)
  private final INDArray attn; // [N*H, T, T] softmax weights
  private final INDArray o2; // [M, dim] attention output rows, before proj
  private final INDArray x1; // [M, dim] x + attn
  private final INDArray h2; // [M, dim] norm2(x1)
  private final float[] mean2;
  private final float[] rstd2;
  private final INDArray f; // [M, hidden] fc1 output
  private final INDArray erf; // [M, hidden] erf(f / sqrt 2)
  private final INDArray g; // [M, hidden] gelu(f)

  // views, made once
  private final INDArray q;
  private final INDArray k;
  private final INDArray v;
  private final INDArray dq;
  private final INDArray dk;
  private final INDArray dv;
  private final INDArray qkvByHead; // qkv as [3, N, H, T, hd] (a permuted view)
  private final INDArray qkvHeads5; // per-head qkv as [3, N, H, T, hd]
  private final INDArray dqkvByHead; // scratch qkv as [3, N, H, T, hd], for the gradient
  private final INDArray dqkvHeads5;
  private final INDArray o2ByHead; // o2 as [N, H, T, hd] (permuted view)
  private final INDArray dRowsByHead; // scratch dRows as [N, H, T, hd] (permuted view)
  private final INDArray heads4; // scratch heads as [N, H, T, hd]

  Block(String prefix, int n, int t, int dim, int nHeads, int hidden, Scratch s) {
    this.prefix = prefix;
    this.tokens = t;
    this.dim = dim;
    this.hidden = hidden;
    this.s = s;
    int hd = dim / nHeads;
    this.scale = Math.pow(hd, -0.5);
    rows = n * t;
    long nh = (long) n * nHeads;
    h1 = Nd4j.create(DataType.FLOAT, rows, dim);
    mean1 = new float[rows];
    rstd1 = new float[rows];
    attn = Nd4j.create(DataType.FLOAT, nh, t, t);
    o2 = Nd4j.create(DataType.FLOAT, rows, dim);
    x1 = Nd4j.create(DataType.FLOAT, rows, dim);
    h2 = Nd4j.create(DataType.FLOAT, rows, dim);
    mean2 = new float[rows];
    rstd2 = new float[rows];
    f = Nd4j.create(DataType.FLOAT, rows, hidden);
    erf = Nd4j.create(DataType.FLOAT, rows, hidden);
    g = Nd4j.create(DataType.FLOAT, rows, hidden);

    if (lanes(dim, nHeads)) {
      laneShape = new VectorAttention.Shape(n, t, nHeads, hd, (float) scale);
      qkv = Nd4j.create(DataType.FLOAT, rows, 3L * dim);
      q = k = v = dq = dk = dv = null;
      qkvByHead = qkvHeads5 = dqkvByHead = dqkvHeads5 = o2ByHead = dRowsByHead = heads4 = null;
      return;
    }
    laneShape = null;
    qkv = Nd4j.create(DataType.FLOAT, 3, nh, t, hd);
    q = qkv.slice(0);
    k = qkv.slice(1);
    v = qkv.slice(2);
    dq = s.dqkvHeads.slice(0);
    dk = s.dqkvHeads.slice(1);
    dv = s.dqkvHeads.slice(2);
    qkvByHead = s.qkv.reshape('c', n, t, 3, nHeads, hd).permute(2, 0, 3, 1, 4);
    qkvHeads5 = qkv.reshape('c', 3, n, nHeads, t, hd);
    dqkvByHead = qkvByHead; // the same scratch, reused for dqkv in the backward
    dqkvHeads5 = s.dqkvHeads.reshape('c', 3, n, nHeads, t, hd);
    o2ByHead = o2.reshape('c', n, t, nHeads, hd).permute(0, 2, 1, 3);
    dRowsByHead = s.dRows.reshape('c', n, t, nHeads, hd).permute(0, 2, 1, 3);
    heads4 = s.heads.reshape('c', n, nHeads, t, hd);
  }

  /** out = block(x), both [N*T, dim]; out may not be x. */
  void forward(Map<String, INDArray> p, INDArray x, INDArray out) {
    long t = StepProfile.start();
    Rows.layerNorm(x, p(p, "norm1.weight"), p(p, "norm1.bias"), h1, mean1, rstd1);
    t = StepProfile.lap(Part.LAYERNORM, t);
    if (laneShape != null) {
      Kernels.linear(h1, p(p, "attn.qkv.weight"), p(p, "attn.qkv.bias"), qkv);
      t = StepProfile.lap(Part.ATTN_LINEARS, t);
      VectorAttention.forward(Rows.bytes(qkv), Rows.bytes(attn), Rows.bytes(o2), laneShape);
      t = StepProfile.lap(Part.ATTN_MATMULS, t);
    } else {
      Kernels.linear(h1, p(p, "attn.qkv.weight"), p(p, "attn.qkv.bias"), s.qkv);
      t = StepProfile.lap(Part.ATTN_LINEARS, t);
      qkvHeads5.assign(qkvByHead);
      t = StepProfile.lap(Part.HEADS, t);
      Kernels.bmm(q, k, s.scores, false, true, scale); // [NH, T, T]
      t = StepProfile.lap(Part.ATTN_MATMULS, t);
      Nd4j.exec(new SoftMax(s.scores, attn, 2));
      t = StepProfile.lap(Part.SOFTMAX, t);
      Kernels.bmm(attn, v, s.heads, false, false, 1.0); // [NH, T, hd]
      t = StepProfile.lap(Part.ATTN_MATMULS, t);
      o2ByHead.assign(heads4);
      t = StepProfile.lap(Part.HEADS, t);
    }
    Kernels.linearAdd(o2, p(p, "attn.proj.weight"), p(p, "attn.proj.bias"), x, x1);
    t = StepProfile.lap(Part.ATTN_LINEARS, t);

    Rows.layerNorm(x1, p(p, "norm2.weight"), p(p, "norm2.bias"), h2, mean2, rstd2);
    t = StepProfile.lap(Part.LAYERNORM, t);
    Kernels.linear(h2, p(p, "mlp.fc1.weight"), p(p, "mlp.fc1.bias"), f);
    t = StepProfile.lap(Part.MLP_GEMMS, t);
    Rows.gelu(f, erf, g);
    t = StepProfile.lap(Part.GELU, t);
    Kernels.linearAdd(g, p(p, "mlp.fc2.weight"), p(p, "mlp.fc2.bias"), x1, out);
    t = StepProfile.lap(Part.MLP_GEMMS, t);
  }

  /**
   * Backward through the block: on entry {@code dx} [N*T, dim] is the gradient of the block's
   * output, on return that of its input x; the parameter gradients are written to {@code grads}.
   */
  void backward(Map<String, INDArray> p, Map<String, INDArray> grads, INDArray x, INDArray dx) {
    long t = StepProfile.start();
    // MLP: out = x1 + fc2(gelu(fc1(h2)))
    Kernels.linearBackward(
        dx,
        g,
        p(p, "mlp.fc2.weight"),
        p(grads, "mlp.fc2.weight"),
        p(grads, "mlp.fc2.bias"),
        s.dHidden);
    t = StepProfile.lap(Part.MLP_GEMMS, t);
    Rows.geluBackward(f, erf, s.dHidden, g); // g is no longer needed: scratch
    t = StepProfile.lap(Part.GELU, t);
    Kernels.linearBackward(
        s.dHidden,
        h2,
        p(p, "mlp.fc1.weight"),
        p(grads, "mlp.fc1.weight"),
        p(grads, "mlp.fc1.bias"),
        s.dRows);
    t = StepProfile.lap(Part.MLP_GEMMS, t);
    Rows.layerNormBackward(
        x1,
        p(p, "norm2.weight"),
        mean2,
        rstd2,
        s.dRows,
        dx,
        true,
        p(grads, "norm2.weight"),
        p(grads, "norm2.bias"));
    t = StepProfile.lap(Part.LAYERNORM, t);

    // attention: x1 = x + proj(o2)
    Kernels.linearBackward(
        dx,
        o2,
        p(p, "attn.proj.weight"),
        p(grads, "attn.proj.weight"),
        p(grads, "attn.proj.bias"),
        s.dRows);
    t = StepProfile.lap(Part.ATTN_LINEARS, t);
    if (laneShape != null) { // dO rows in dRows, dqkv rows into the scratch qkv
      VectorAttention.backward(
          Rows.bytes(qkv), Rows.bytes(attn), Rows.bytes(s.dRows), Rows.bytes(s.qkv), laneShape);
      t = StepProfile.lap(Part.ATTN_MATMULS, t);
    } else {
      heads4.assign(dRowsByHead); // dO [NH, T, hd]
      t = StepProfile.lap(Part.HEADS, t);
      Kernels.bmm(s.heads, v, s.dA, false, true, 1.0); // dA = dO v^T
      Kernels.bmm(attn, s.heads, dv, true, false, 1.0); // dv = A^T dO
      t = StepProfile.lap(Part.ATTN_MATMULS, t);
      Rows.softmaxBackward(Rows.of(attn), Rows.of(s.dA), (int) s.dA.size(0) * tokens, tokens);
      t = StepProfile.lap(Part.SOFTMAX, t);
      Kernels.bmm(s.dA, k, dq, false, false, scale); // dq = scale dS k
      Kernels.bmm(s.dA, q, dk, true, false, scale); // dk = scale dS^T q
      t = StepProfile.lap(Part.ATTN_MATMULS, t);
      dqkvByHead.assign(dqkvHeads5); // back to rows [M, 3*dim] in the scratch qkv
      t = StepProfile.lap(Part.HEADS, t);
    }
    Kernels.linearBackward(
        s.qkv,
        h1,
        p(p, "attn.qkv.weight"),
        p(grads, "attn.qkv.weight"),
        p(grads, "attn.qkv.bias"),
        s.dRows);
    t = StepProfile.lap(Part.ATTN_LINEARS, t);
    Rows.layerNormBackward(
        x,
        p(p, "norm1.weight"),
        mean1,
        rstd1,
        s.dRows,
        dx,
        true,
        p(grads, "norm1.weight"),
        p(grads, "norm1.bias"));
    t = StepProfile.lap(Part.LAYERNORM, t);
  }

  private INDArray p(Map<String, INDArray> table, String key) {
    return Kernels.get(table, prefix + key);
  }
}
