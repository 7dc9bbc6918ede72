package org.maespark.model;

import java.util.Map;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The MAE forward pass as SameDiff ops, method for method beside the official {@code
 * models_mae.py}. The same code defines the DL4J training layer ({@link MaeLayer}) and the
 * standalone inference graphs of {@link MaeModel}, so the model is written once.
 *
 * <p>Per-sample gathers are batched matmuls with one-hot matrices: {@code sd.gather}'s backprop is
 * broken in DL4J M2.1 (STACK.md), and a product with a 0/1 matrix that has one 1 per row copies
 * values exactly.
 */
final class MaeGraph {
  static final double LN_EPS = 1e-6;
  static final double NORM_PIX_EPS = 1e-6;

  /** Placeholder names, the ones DL4J's SameDiffOutputLayer uses for input and labels. */
  static final String INPUT_PH = "input";

  static final String NOISE_PH = "labels";

  /** Names of the graph variables that {@link MaeModel} reads back. */
  static final String PATCH_EMBED_OUT = "patchEmbedOut";

  static final String ENCODER_IN = "encoderIn";
  static final String LATENT = "latent";
  static final String DECODER_IN = "decoderIn";
  static final String DECODER_OUT = "decoderOut";
  static final String PRED = "pred";
  static final String PRED_FLAT = "predFlat";
  static final String TARGET = "target";
  static final String MASK = "mask";
  static final String IDS_RESTORE = "idsRestore";
  static final String LOSS = "loss";
  static final String LOSS_SUM = "lossSum";
  static final String FEATURES = "features";

  private final SameDiff sd;
  private final MaeConfig c;
  private final Map<String, SDVariable> params;
  private final Map<Long, SDVariable> onesRows = new java.util.HashMap<>();

  /**
   * @param params the trainable parameters by graph name ({@link MaeParams.Spec#graphName()})
   */
  MaeGraph(SameDiff sd, MaeConfig c, Map<String, SDVariable> params) {
    this.sd = sd;
    this.c = c;
    this.params = params;
  }

  /** The per-sample random masking of one batch (official {@code random_masking} outputs). */
  record Masking(SDVariable keepSelect, SDVariable mask, SDVariable idsRestore) {}

  /**
   * The training graph: {@code imgs [N, C*H*W]}, {@code noise [N, L]} -> the batch SUM of the MAE
   * loss (DL4J divides an output layer's score and gradients by N, so the score is the loss). Also
   * defines {@link #PRED}, {@link #LOSS} and every traced intermediate.
   */
  SDVariable forward(SDVariable imgs, SDVariable noise) {
    Masking m = randomMasking(noise);
    SDVariable latent =
        c.encoderMaskTokens() ? forwardEncoderFull(imgs, m) : forwardEncoder(imgs, m);
    SDVariable pred = forwardDecoder(latent, m);
    sd.reshape(PRED_FLAT, pred, -1, (long) c.numPatches() * c.patchDim()); // [N, L*p*p*C]
    return forwardLoss(imgs, pred, m.mask());
  }

  /** imgs [N, C*H*W] (NCHW flattened) -> [N, L, p*p*C], per patch (i, j, c) channel-last. */
  SDVariable patchify(SDVariable imgs) {
    int p = c.patch();
    int h = c.gridSize();
    SDVariable x = sd.reshape(imgs, -1, c.inChans(), h, p, h, p); // [N, C, h, p, w, p]
    x = sd.permute(x, 0, 2, 4, 3, 5, 1); // [N, h, w, p, p, C]
    return sd.reshape(x, -1, c.numPatches(), c.patchDim()); // [N, L, p*p*C]
  }

  /**
   * Conv2d(kernel = stride = p) as one matmul: imgs [N, C*H*W] -> [N, L, D]. The weight is [D, C,
   * p, p], so each patch is flattened channel-first (c, i, j) here, unlike patchify.
   */
  SDVariable patchEmbed(SDVariable imgs) {
    int p = c.patch();
    int h = c.gridSize();
    int cpp = c.inChans() * p * p;
    SDVariable x = sd.reshape(imgs, -1, c.inChans(), h, p, h, p); // [N, C, h, p, w, p]
    x = sd.permute(x, 0, 2, 4, 1, 3, 5); // [N, h, w, C, p, p]
    x = sd.reshape(x, -1, cpp); // [N*L, C*p*p]
    SDVariable w = sd.reshape(param("patch_embed.proj.weight"), c.embedDim(), cpp); // [D, C*p*p]
    x = sd.mmul(x, w, false, true, false).add(param("patch_embed.proj.bias")); // [N*L, D]
    return sd.reshape(PATCH_EMBED_OUT, x, -1, c.numPatches(), c.embedDim()); // [N, L, D]
  }

  /**
   * Official {@code random_masking} driven by the noise input: the patches with the len_keep
   * smallest noise values are kept. ids_restore = argsort(argsort(noise)) is each patch's rank in
   * ascending noise order, computed by counting smaller values (ties broken by index, so it is a
   * permutation like argsort's).
   */
  Masking randomMasking(SDVariable noise) {
    int l = c.numPatches();
    int keep = c.lenKeep();
    SDVariable other = sd.reshape(noise, -1, 1, l); // [N, 1, L] noise_j
    SDVariable self = sd.reshape(noise, -1, l, 1); // [N, L, 1] noise_i
    SDVariable smaller = sd.lt(other, self).castTo(DataType.FLOAT); // [N, L, L] noise_j < noise_i
    SDVariable tie = sd.eq(other, self).castTo(DataType.FLOAT); // [N, L, L]
    SDVariable earlier = sd.constant(lowerTriangle(l)); // [1, L, L] j < i
    SDVariable rank = smaller.add(tie.mul(earlier)).sum(2); // [N, L]
    SDVariable idsRestore = sd.identity(IDS_RESTORE, rank); // [N, L]
    // mask: 0 is keep, 1 is remove (official), in original token order
    SDVariable mask = sd.gte(rank, keep).castTo(MASK, DataType.FLOAT); // [N, L]
    // keepSelect[n, i, k] = 1 where patch i is the k-th kept patch; rows of removed patches are 0
    SDVariable keepSelect = sd.oneHot(rank.castTo(DataType.INT32), keep); // [N, L, keep]
    return new Masking(keepSelect, mask, idsRestore);
  }

  /** Asymmetric encoder on the visible patches only: -> latent [N, 1 + len_keep, D]. */
  SDVariable forwardEncoder(SDVariable imgs, Masking m) {
    SDVariable x = patchEmbed(imgs); // [N, L, D]
    x = x.add(patchPosEmbed(c.embedDim())); // [N, L, D]
    x = sd.mmul(m.keepSelect(), x, true, false, false); // [N, keep, D] kept patches, noise order
    x = sd.concat(ENCODER_IN, 1, clsTokens(m.mask()), x); // [N, 1 + keep, D]
    return encoderBlocks(x, 1 + c.lenKeep());
  }

  /**
   * The paper's all-token baseline (mae_ref.py {@code forward_encoder_full}): removed patches are
   * replaced by {@code enc_mask_token} and the encoder runs on all L + 1 tokens.
   */
  SDVariable forwardEncoderFull(SDVariable imgs, Masking m) {
    int d = c.embedDim();
    SDVariable x = sd.reshape(patchEmbed(imgs), -1, d); // [N*L, D]
    SDVariable removed = sd.reshape(m.mask(), -1, 1); // [N*L, 1]
    x = x.mul(removed.rsub(1.0)).add(outer(removed, "enc_mask_token")); // [N*L, D]
    x = sd.reshape(x, -1, c.numPatches(), d).add(patchPosEmbed(d)); // [N, L, D]
    x = sd.concat(ENCODER_IN, 1, clsTokens(m.mask()), x); // [N, 1 + L, D]
    return encoderBlocks(x, 1 + c.numPatches());
  }

  /** Encoder features for evaluation, no masking: [N, 2*D] = final-norm cls ++ patch mean. */
  SDVariable features(SDVariable imgs) {
    SDVariable x = patchEmbed(imgs).add(patchPosEmbed(c.embedDim())); // [N, L, D]
    SDVariable ones = onesColumn(sd.reshape(imgs.get(all(), point(0)), -1, 1)); // [N, 1]
    SDVariable cls = sd.reshape(outer(ones, "cls_token"), -1, 1, c.embedDim()); // [N, 1, D]
    x = sd.concat(1, cls, x); // [N, 1 + L, D]
    SDVariable latent = encoderBlocks(x, 1 + c.numPatches()); // [N, 1 + L, D]
    SDVariable clsOut = latent.get(all(), point(0), all()); // [N, D]
    SDVariable patches = latent.get(all(), SDIndex.interval(1, 1 + c.numPatches()), all());
    return sd.concat(FEATURES, 1, clsOut, patches.mean(1)); // [N, 2D]
  }

  private SDVariable encoderBlocks(SDVariable x, int tokens) {
    int d = c.embedDim();
    x = sd.reshape(x, -1, d); // [N*T, D] rows are tokens
    for (int i = 0; i < c.depth(); i++) {
      x = block(x, "blocks." + i + ".", d, c.heads(), tokens); // [N*T, D]
    }
    x = layerNorm(x, "norm."); // [N*T, D]
    return sd.reshape(LATENT, x, -1, tokens, d); // [N, T, D]
  }

  /** cls_token + pos_embed[0] for every sample: [N, 1, D] (the cls position row is zero). */
  private SDVariable clsTokens(SDVariable mask) {
    // ones [N, 1] taken from an input, since the batch size is only known at run time
    SDVariable ones = onesColumn(mask.get(all(), SDIndex.interval(0, 1))); // [N, 1]
    return sd.reshape(outer(ones, "cls_token"), -1, 1, c.embedDim()); // [N, 1, D]
  }

  /**
   * column [M, 1] times a [1, 1, dim] token: [M, dim] (row m = column[m] * token). A matmul with
   * one term per output copies the token exactly, and its backprop is a matmul too; libnd4j's
   * two-sided broadcast multiply backprop was the slowest op of the all-token variant.
   */
  private SDVariable outer(SDVariable column, String token) {
    return sd.mmul(column, sd.reshape(param(token), 1, -1)); // [M, dim]
  }

  /** latent [N, T, D] -> pred [N, L, p*p*C] (official {@code forward_decoder}). */
  SDVariable forwardDecoder(SDVariable latent, Masking m) {
    int l = c.numPatches();
    int dd = c.decoderEmbedDim();
    int tokens = c.encoderMaskTokens() ? l + 1 : c.lenKeep() + 1;
    SDVariable x = linear(sd.reshape(latent, -1, c.embedDim()), "decoder_embed."); // [N*T, Dd]
    x = sd.reshape(x, -1, tokens, dd); // [N, T, Dd]
    if (tokens != l + 1) {
      // append mask tokens and unshuffle: kept patches go back to their place, removed ones get
      // mask_token
      SDVariable cls = x.get(all(), SDIndex.interval(0, 1), all()); // [N, 1, Dd]
      SDVariable kept = x.get(all(), SDIndex.interval(1, tokens), all()); // [N, keep, Dd]
      SDVariable removed = sd.reshape(m.mask(), -1, 1); // [N*L, 1]
      SDVariable maskTokens = sd.reshape(outer(removed, "mask_token"), -1, l, dd); // [N, L, Dd]
      SDVariable patches = sd.mmul(m.keepSelect(), kept); // [N, L, Dd] kept in place, 0 elsewhere
      patches = patches.add(maskTokens); // [N, L, Dd]
      x = sd.concat(1, cls, patches); // [N, 1 + L, Dd]
    }
    x = x.add(DECODER_IN, sd.constant(PosEmbed.sincos2d(dd, c.gridSize()))); // [N, 1 + L, Dd]
    x = sd.reshape(x, -1, dd); // [N*(1 + L), Dd]
    for (int i = 0; i < c.decoderDepth(); i++) {
      x = block(x, "decoder_blocks." + i + ".", dd, c.decoderHeads(), l + 1); // [N*(1 + L), Dd]
    }
    x = layerNorm(x, "decoder_norm."); // [N*(1 + L), Dd]
    sd.reshape(DECODER_OUT, x, -1, l + 1, dd); // [N, 1 + L, Dd]
    x = linear(x, "decoder_pred."); // [N*(1 + L), p*p*C]
    x = sd.reshape(x, -1, l + 1, c.patchDim()); // [N, 1 + L, p*p*C]
    return x.get(all(), SDIndex.interval(1, l + 1), all()).rename(PRED); // [N, L, p*p*C]
  }

  /**
   * Official {@code forward_loss}: per-patch MSE on the (optionally normalized) pixels, mean over
   * removed patches. Defines {@link #LOSS} and returns the batch sum N * loss, marked as the loss.
   */
  SDVariable forwardLoss(SDVariable imgs, SDVariable pred, SDVariable mask) {
    SDVariable target = patchify(imgs); // [N, L, p*p*C]
    if (c.normPixLoss()) {
      SDVariable mean = target.mean(true, 2); // [N, L, 1]
      SDVariable centered = target.sub(mean); // [N, L, p*p*C]
      // unbiased variance (n - 1), as torch.var's default in the official code
      SDVariable var = sd.math.square(centered).sum(true, 2).div(c.patchDim() - 1.0); // [N, L, 1]
      target = centered.div(sd.math.sqrt(var.add(NORM_PIX_EPS))); // [N, L, p*p*C]
    }
    target = sd.identity(TARGET, target);
    SDVariable perPatch = sd.math.square(pred.sub(target)).mean(2); // [N, L]
    SDVariable masked = perPatch.mul(mask).sum(); // []
    masked.div(LOSS, mask.sum()); // [] sum(loss * mask) / sum(mask)
    // Every sample removes exactly L - len_keep patches, so sum(mask) = N * (L - len_keep) and
    // N * loss = masked / (L - len_keep).
    SDVariable lossSum = masked.div(LOSS_SUM, c.numPatches() - c.lenKeep()); // []
    lossSum.markAsLoss();
    return lossSum;
  }

  /**
   * Pre-norm transformer block (timm {@code Block}) on token rows: x [N*T, dim] -> [N*T, dim].
   * Tokens stay 2-D between blocks so every linear is one matmul and LayerNorm reduces rows.
   */
  private SDVariable block(SDVariable x, String prefix, int dim, int heads, int tokens) {
    x = x.add(attention(layerNorm(x, prefix + "norm1."), prefix + "attn.", dim, heads, tokens));
    return x.add(mlp(layerNorm(x, prefix + "norm2."), prefix + "mlp."));
  }

  /** Multi-head self-attention, qkv rows [q | k | v] each (heads, head_dim): [N*T, dim]. */
  private SDVariable attention(SDVariable x, String prefix, int dim, int heads, int tokens) {
    int hd = dim / heads;
    SDVariable qkv = linear(x, prefix + "qkv."); // [N*T, 3*dim]
    qkv = sd.reshape(qkv, -1, tokens, 3, heads, hd); // [N, T, 3, H, hd]
    qkv = sd.permute(qkv, 2, 0, 3, 1, 4); // [3, N, H, T, hd]
    SDVariable[] split = sd.unstack(qkv, 0, 3); // 3 x [N, H, T, hd]
    SDVariable scores = sd.mmul(split[0], split[1], false, true, false); // [N, H, T, T]
    SDVariable attn = sd.nn.softmax(scores.mul(Math.pow(hd, -0.5)), 3); // [N, H, T, T]
    SDVariable out = sd.mmul(attn, split[2]); // [N, H, T, hd]
    out = sd.permute(out, 0, 2, 1, 3); // [N, T, H, hd]
    out = sd.reshape(out, -1, dim); // [N*T, dim]
    return linear(out, prefix + "proj."); // [N*T, dim]
  }

  /** fc2(gelu(fc1(x))): [N*T, dim] -> [N*T, dim]. */
  private SDVariable mlp(SDVariable x, String prefix) {
    return linear(gelu(linear(x, prefix + "fc1.")), prefix + "fc2."); // [N*T, dim]
  }

  /** Exact (erf) GELU as torch's default: x/2 * (1 + erf(x / sqrt(2))). */
  private SDVariable gelu(SDVariable x) {
    return x.mul(0.5).mul(sd.math.erf(x.mul(Math.sqrt(0.5))).add(1.0));
  }

  /** LayerNorm over each row, biased variance, eps 1e-6: [M, dim] -> [M, dim]. */
  private SDVariable layerNorm(SDVariable x, String prefix) {
    SDVariable centered = x.sub(x.mean(true, 1)); // [M, dim]
    SDVariable var = sd.math.square(centered).mean(true, 1); // [M, 1]
    SDVariable inv = sd.math.rsqrt(var.add(LN_EPS)); // [M, 1]
    SDVariable ones = onesColumn(inv); // [M, 1]
    // Both broadcasts as K=1 outer products (exact copies; their backprops are matmuls):
    // libnd4j's broadcast multiply backprop was a quarter of a step.
    SDVariable normed =
        centered.mul(sd.mmul(inv, onesRow(param(prefix + "weight").getShape()[0]))); // [M, dim]
    return normed.mul(sd.mmul(ones, row(prefix + "weight"))).add(row(prefix + "bias")); // [M, dim]
  }

  /** x W^T + b with W [out, in] as torch's Linear: [M, in] -> [M, out]. */
  private SDVariable linear(SDVariable x, String prefix) {
    SDVariable y = sd.mmul(x, param(prefix + "weight"), false, true, false); // [M, out]
    return y.add(row(prefix + "bias")); // [M, out]
  }

  /**
   * A column of ones shaped as {@code finite} [M, 1], whose values must be finite: x * 0 + 1 is
   * then exactly 1. SameDiff's {@code onesLike} would do, but its op logs a warning ("No fields
   * found for property name dtype") each time DL4J copies the graph, thousands per training run.
   */
  private static SDVariable onesColumn(SDVariable finite) {
    return finite.mul(0.0).add(1.0);
  }

  /** The constant ones row [1, dim], one per width and graph. */
  private SDVariable onesRow(long dim) {
    return onesRows.computeIfAbsent(dim, k -> sd.constant(Nd4j.ones(DataType.FLOAT, 1, k)));
  }

  /** pos_embed[:, 1:, :] as a constant: [1, L, dim]. */
  private SDVariable patchPosEmbed(int dim) {
    INDArray pe = PosEmbed.sincos2d(dim, c.gridSize()); // [1, 1 + L, dim]
    return sd.constant(
        pe.get(
                org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 1 + c.numPatches()),
                org.nd4j.linalg.indexing.NDArrayIndex.all())
            .dup());
  }

  /**
   * A [dim] parameter as a [1, dim] row: libnd4j broadcasts (and backpropagates) a rank-2 row over
   * [M, dim] about twice as fast as a rank-1 vector.
   */
  private SDVariable row(String key) {
    return sd.reshape(param(key), 1, -1); // [1, dim]
  }

  private SDVariable param(String key) {
    SDVariable v = params.get(MaeParams.toGraphName(key));
    if (v == null) {
      throw new IllegalStateException("no parameter " + key + " in the graph");
    }
    return v;
  }

  /** [1, L, L] with 1 where column j &lt; row i. */
  private static INDArray lowerTriangle(int l) {
    float[] v = new float[l * l];
    for (int i = 0; i < l; i++) {
      for (int j = 0; j < i; j++) {
        v[i * l + j] = 1f;
      }
    }
    return Nd4j.create(v, new long[] {1, l, l}, DataType.FLOAT);
  }

  private static SDIndex all() {
    return SDIndex.all();
  }

  private static SDIndex point(long i) {
    return SDIndex.point(i);
  }
}
