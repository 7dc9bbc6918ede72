package org.maespark.model;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import org.maespark.model.StepProfile.Part;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One MAE training step written by hand for a fixed batch size: the forward pass of {@link
 * MaeGraph#forward} (same masking, same token order, same loss) and its backward, as BLAS gemm
 * calls and row loops on arrays made once here and reused every step. The training layer uses it
 * instead of SameDiff, whose interpreter spent most of a step outside arithmetic; the inference
 * graphs of {@link MaeModel} still run {@link MaeGraph}, and the parity test holds both to the
 * reference.
 *
 * <p>Gradients are those of the batch-summed loss N * loss (DL4J's updater divides by N), written
 * straight into DL4J's gradient views.
 */
final class MaeStep {
  private final MaeConfig c;
  final int n;
  private final int l; // patches
  private final int keep; // kept patches
  private final int te; // encoder tokens
  private final int td; // decoder tokens, 1 + L
  private final int d;
  private final int dd;
  private final int pd; // pixels per patch (target width)
  private final float[] encPos; // [1 + L, D]
  private final float[] decPos; // [1 + L, Dd]

  // masking of the current batch
  private final int[] rank; // [N * L] position of each patch in ascending noise order
  private final int[] kept; // [N * keep] original index of the k-th kept patch

  private final INDArray noiseCopy; // [N, L]
  private final INDArray xp; // [N*L, C*p*p] patches channel-first, for the patch embedding
  private final INDArray xp6;
  private final INDArray target; // [N*L, p*p*C]
  private final INDArray target6;
  private final INDArray emb; // [N*L, D]
  private final INDArray[] enc; // encoder stream before each block and after the last
  private final Block[] encBlocks;
  private final INDArray latent; // [N*Te, D]
  private final float[] latentMean;
  private final float[] latentRstd;
  private final INDArray de; // [N*Te, Dd] decoder_embed output
  private final INDArray[] dec; // decoder stream, [N*(1+L), Dd]
  private final Block[] decBlocks;
  private final INDArray dn; // [N*(1+L), Dd] decoder_norm output
  private final float[] dnMean;
  private final float[] dnRstd;
  private final INDArray out; // [N*(1+L), p*p*C] decoder_pred output (row 0 of a sample: cls)

  // gradients
  private final INDArray dOut;
  private final INDArray dDec; // [N*(1+L), Dd] running gradient of the decoder stream
  private final INDArray dDn;
  private final INDArray dDe; // [N*Te, Dd]
  private final INDArray dLatent; // [N*Te, D]
  private final INDArray dEnc; // [N*Te, D] running gradient of the encoder stream
  private final INDArray dEmb; // [N*L, D]

  MaeStep(MaeConfig c, int n) {
    this(c, n, false);
  }

  /**
   * A step for encoder features ({@link #features}): every patch is visible, so the encoder sees
   * all 1 + L tokens in their original order, as {@link MaeGraph#features}.
   */
  static MaeStep forFeatures(MaeConfig c, int n) {
    return new MaeStep(c, n, true);
  }

  private MaeStep(MaeConfig c, int n, boolean allVisible) {
    this.c = c;
    this.n = n;
    l = c.numPatches();
    keep = allVisible ? l : c.lenKeep();
    te = c.encoderMaskTokens() ? l + 1 : keep + 1;
    td = l + 1;
    d = c.embedDim();
    dd = c.decoderEmbedDim();
    pd = c.patchDim();
    encPos = PosEmbed.sincos2d(d, c.gridSize()).data().asFloat();
    decPos = PosEmbed.sincos2d(dd, c.gridSize()).data().asFloat();
    rank = new int[n * l];
    kept = new int[n * keep];
    int p = c.patch();
    int g = c.gridSize();
    int cpp = c.inChans() * p * p;
    noiseCopy = Nd4j.create(DataType.FLOAT, n, l);
    xp = Nd4j.create(DataType.FLOAT, (long) n * l, cpp);
    xp6 = xp.reshape('c', n, g, g, c.inChans(), p, p);
    target = Nd4j.create(DataType.FLOAT, (long) n * l, pd);
    target6 = target.reshape('c', n, g, g, p, p, c.inChans());
    emb = Nd4j.create(DataType.FLOAT, (long) n * l, d);

    Block.Scratch encScratch = new Block.Scratch(n, te, d, c.heads(), c.mlpHidden());
    enc = new INDArray[c.depth() + 1];
    encBlocks = new Block[c.depth()];
    for (int i = 0; i <= c.depth(); i++) {
      enc[i] = Nd4j.create(DataType.FLOAT, (long) n * te, d);
    }
    for (int i = 0; i < c.depth(); i++) {
      encBlocks[i] = new Block("blocks." + i + ".", n, te, d, c.heads(), c.mlpHidden(), encScratch);
    }
    latent = Nd4j.create(DataType.FLOAT, (long) n * te, d);
    latentMean = new float[n * te];
    latentRstd = new float[n * te];
    de = Nd4j.create(DataType.FLOAT, (long) n * te, dd);

    Block.Scratch decScratch = new Block.Scratch(n, td, dd, c.decoderHeads(), c.decoderMlpHidden());
    dec = new INDArray[c.decoderDepth() + 1];
    decBlocks = new Block[c.decoderDepth()];
    for (int i = 0; i <= c.decoderDepth(); i++) {
      dec[i] = Nd4j.create(DataType.FLOAT, (long) n * td, dd);
    }
    for (int i = 0; i < c.decoderDepth(); i++) {
      decBlocks[i] =
          new Block(
              "decoder_blocks." + i + ".",
              n,
              td,
              dd,
              c.decoderHeads(),
              c.decoderMlpHidden(),
              decScratch);
    }
    dn = Nd4j.create(DataType.FLOAT, (long) n * td, dd);
    dnMean = new float[n * td];
    dnRstd = new float[n * td];
    out = Nd4j.create(DataType.FLOAT, (long) n * td, pd);

    dOut = Nd4j.create(DataType.FLOAT, (long) n * td, pd);
    dDec = Nd4j.create(DataType.FLOAT, (long) n * td, dd);
    dDn = Nd4j.create(DataType.FLOAT, (long) n * td, dd);
    dDe = Nd4j.create(DataType.FLOAT, (long) n * te, dd);
    dLatent = Nd4j.create(DataType.FLOAT, (long) n * te, d);
    dEnc = Nd4j.create(DataType.FLOAT, (long) n * te, d);
    dEmb = Nd4j.create(DataType.FLOAT, (long) n * l, d);
  }

  /**
   * The forward pass on imgs [N, C*H*W] and noise [N, L] with the parameters in {@code p} (DL4J's
   * table, graph names): returns the batch sum N * loss and keeps what {@link #backward} needs.
   */
  double forward(Map<String, INDArray> p, INDArray imgs, INDArray noise) {
    StepProfile.forward();
    long t = StepProfile.start();
    INDArray img6 = images(imgs);
    noiseCopy.assign(noise);
    mask(Rows.of(noiseCopy));
    encode(p, img6, t);
    t = StepProfile.start();
    Kernels.linear(
        latent, Kernels.get(p, "decoder_embed.weight"), Kernels.get(p, "decoder_embed.bias"), de);
    t = StepProfile.lap(Part.OTHER_GEMMS, t);
    decoderInput(p);
    t = StepProfile.lap(Part.MASKING, t);
    for (int i = 0; i < decBlocks.length; i++) {
      decBlocks[i].forward(p, dec[i], dec[i + 1]);
    }
    t = StepProfile.start(); // the blocks count their own parts
    Rows.layerNorm(
        dec[decBlocks.length],
        Kernels.get(p, "decoder_norm.weight"),
        Kernels.get(p, "decoder_norm.bias"),
        dn,
        dnMean,
        dnRstd);
    t = StepProfile.lap(Part.LAYERNORM, t);
    Kernels.linear(
        dn, Kernels.get(p, "decoder_pred.weight"), Kernels.get(p, "decoder_pred.bias"), out);
    t = StepProfile.lap(Part.OTHER_GEMMS, t);

    target6.assign(img6.permute(0, 2, 4, 3, 5, 1)); // [N, h, w, p, p, C] (official patchify)
    if (c.normPixLoss()) {
      normalizePatches(Rows.of(target));
    }
    double sum = loss();
    StepProfile.lap(Part.LOSS, t);
    return sum;
  }

  /** imgs [N, C*H*W] as [N, C, h, p, w, p]. */
  private INDArray images(INDArray imgs) {
    int pt = c.patch();
    int g = c.gridSize();
    return imgs.reshape('c', n, c.inChans(), g, pt, g, pt);
  }

  /**
   * Patch embedding, encoder input (by the current masking), blocks and final norm, into {@link
   * #latent}.
   */
  private void encode(Map<String, INDArray> p, INDArray img6, long t) {
    xp6.assign(img6.permute(0, 2, 4, 1, 3, 5)); // [N, h, w, C, p, p]
    t = StepProfile.lap(Part.MASKING, t);
    INDArray pe = Kernels.get(p, "patch_embed.proj.weight");
    Kernels.linear(
        xp, pe.reshape('c', d, xp.size(1)), Kernels.get(p, "patch_embed.proj.bias"), emb);
    t = StepProfile.lap(Part.OTHER_GEMMS, t);
    encoderInput(p);
    t = StepProfile.lap(Part.MASKING, t);
    for (int i = 0; i < encBlocks.length; i++) {
      encBlocks[i].forward(p, enc[i], enc[i + 1]);
    }
    t = StepProfile.start(); // the blocks count their own parts
    Rows.layerNorm(
        enc[encBlocks.length],
        Kernels.get(p, "norm.weight"),
        Kernels.get(p, "norm.bias"),
        latent,
        latentMean,
        latentRstd);
    StepProfile.lap(Part.LAYERNORM, t);
  }

  /**
   * Encoder features of imgs [N, C*H*W] with no masking (a step made by {@link #forFeatures}): [N,
   * 2*D] = final-norm cls token ++ mean of the final-norm patch tokens, as {@link
   * MaeGraph#features}.
   */
  INDArray features(Map<String, INDArray> p, INDArray imgs) {
    if (keep != l) {
      throw new IllegalStateException("features need a step made by MaeStep.forFeatures");
    }
    for (int s = 0; s < n; s++) {
      for (int i = 0; i < l; i++) {
        rank[s * l + i] = i;
        kept[s * keep + i] = i;
      }
    }
    encode(p, images(imgs), StepProfile.start());
    FloatBuffer x = Rows.of(latent);
    float[] f = new float[n * 2 * d];
    double[] sum = new double[d];
    for (int s = 0; s < n; s++) {
      int cls = s * te * d;
      Arrays.fill(sum, 0);
      for (int t = 1; t < te; t++) {
        for (int j = 0; j < d; j++) {
          sum[j] += x.get(cls + t * d + j);
        }
      }
      for (int j = 0; j < d; j++) {
        f[s * 2 * d + j] = x.get(cls + j);
        f[s * 2 * d + d + j] = (float) (sum[j] / l);
      }
    }
    return Nd4j.createFromArray(f).reshape('c', n, 2L * d);
  }

  /** Backward of the last {@link #forward}: writes every parameter gradient into {@code grads}. */
  void backward(Map<String, INDArray> p, Map<String, INDArray> grads) {
    StepProfile.step();
    long t = StepProfile.start();
    Kernels.linearBackward(
        dOut,
        dn,
        Kernels.get(p, "decoder_pred.weight"),
        Kernels.get(grads, "decoder_pred.weight"),
        Kernels.get(grads, "decoder_pred.bias"),
        dDn);
    t = StepProfile.lap(Part.OTHER_GEMMS, t);
    Rows.layerNormBackward(
        dec[decBlocks.length],
        Kernels.get(p, "decoder_norm.weight"),
        dnMean,
        dnRstd,
        dDn,
        dDec,
        false,
        Kernels.get(grads, "decoder_norm.weight"),
        Kernels.get(grads, "decoder_norm.bias"));
    t = StepProfile.lap(Part.LAYERNORM, t);
    for (int i = decBlocks.length - 1; i >= 0; i--) {
      decBlocks[i].backward(p, grads, dec[i], dDec);
    }
    t = StepProfile.start(); // the blocks count their own parts
    decoderInputBackward(grads);
    t = StepProfile.lap(Part.MASKING, t);
    Kernels.linearBackward(
        dDe,
        latent,
        Kernels.get(p, "decoder_embed.weight"),
        Kernels.get(grads, "decoder_embed.weight"),
        Kernels.get(grads, "decoder_embed.bias"),
        dLatent);
    t = StepProfile.lap(Part.OTHER_GEMMS, t);
    Rows.layerNormBackward(
        enc[encBlocks.length],
        Kernels.get(p, "norm.weight"),
        latentMean,
        latentRstd,
        dLatent,
        dEnc,
        false,
        Kernels.get(grads, "norm.weight"),
        Kernels.get(grads, "norm.bias"));
    t = StepProfile.lap(Part.LAYERNORM, t);
    for (int i = encBlocks.length - 1; i >= 0; i--) {
      encBlocks[i].backward(p, grads, enc[i], dEnc);
    }
    t = StepProfile.start(); // the blocks count their own parts
    encoderInputBackward(grads);
    t = StepProfile.lap(Part.MASKING, t);
    Kernels.linearBackward(
        dEmb,
        xp,
        Kernels.get(p, "patch_embed.proj.weight"),
        Kernels.get(grads, "patch_embed.proj.weight"),
        Kernels.get(grads, "patch_embed.proj.bias"),
        null);
    StepProfile.lap(Part.OTHER_GEMMS, t);
  }

  /**
   * Official random_masking from the noise: each patch's rank in ascending noise order (ties by
   * index, as {@link MaeGraph#randomMasking}); the len_keep smallest are kept.
   */
  private void mask(FloatBuffer noise) {
    for (int s = 0; s < n; s++) {
      int o = s * l;
      for (int i = 0; i < l; i++) {
        float ni = noise.get(o + i);
        int r = 0;
        for (int j = 0; j < l; j++) {
          float nj = noise.get(o + j);
          if (nj < ni || nj == ni && j < i) {
            r++;
          }
        }
        rank[o + i] = r;
        if (r < keep) {
          kept[s * keep + r] = i;
        }
      }
    }
  }

  private boolean removed(int s, int i) {
    return rank[s * l + i] >= keep;
  }

  /** Encoder input rows: cls, then (kept | all) patch embeddings + position (+ enc_mask_token). */
  private void encoderInput(Map<String, INDArray> p) {
    FloatBuffer x = Rows.of(enc[0]);
    FloatBuffer e = Rows.of(emb);
    FloatBuffer cls = Rows.of(Kernels.get(p, "cls_token"));
    FloatBuffer encMask = c.encoderMaskTokens() ? Rows.of(Kernels.get(p, "enc_mask_token")) : null;
    for (int s = 0; s < n; s++) {
      int row = s * te;
      for (int j = 0; j < d; j++) {
        x.put(row * d + j, cls.get(j)); // pos_embed[0] is zero
      }
      for (int t = 1; t < te; t++) {
        int patch = c.encoderMaskTokens() ? t - 1 : kept[s * keep + t - 1];
        int dst = (row + t) * d;
        int pos = (1 + patch) * d;
        if (c.encoderMaskTokens() && removed(s, patch)) {
          for (int j = 0; j < d; j++) {
            x.put(dst + j, encMask.get(j) + encPos[pos + j]);
          }
        } else {
          int src = (s * l + patch) * d;
          for (int j = 0; j < d; j++) {
            x.put(dst + j, e.get(src + j) + encPos[pos + j]);
          }
        }
      }
    }
  }

  private void encoderInputBackward(Map<String, INDArray> grads) {
    FloatBuffer dx = Rows.of(dEnc);
    FloatBuffer de = Rows.of(dEmb);
    double[] cls = new double[d];
    double[] encMask = new double[d];
    for (int s = 0; s < n; s++) {
      int row = s * te;
      for (int j = 0; j < d; j++) {
        cls[j] += dx.get(row * d + j);
      }
      if (!c.encoderMaskTokens()) {
        for (int i = 0; i < l; i++) {
          if (removed(s, i)) {
            zeroRow(de, (s * l + i) * d, d);
          }
        }
      }
      for (int t = 1; t < te; t++) {
        int patch = c.encoderMaskTokens() ? t - 1 : kept[s * keep + t - 1];
        int src = (row + t) * d;
        int dst = (s * l + patch) * d;
        if (c.encoderMaskTokens() && removed(s, patch)) {
          for (int j = 0; j < d; j++) {
            encMask[j] += dx.get(src + j);
          }
          zeroRow(de, dst, d);
        } else {
          for (int j = 0; j < d; j++) {
            de.put(dst + j, dx.get(src + j));
          }
        }
      }
    }
    write(Kernels.get(grads, "cls_token"), cls);
    if (c.encoderMaskTokens()) {
      write(Kernels.get(grads, "enc_mask_token"), encMask);
    }
  }

  /** Decoder input rows: cls and every patch in original order (kept or mask_token) + position. */
  private void decoderInput(Map<String, INDArray> p) {
    FloatBuffer x = Rows.of(dec[0]);
    FloatBuffer e = Rows.of(de);
    FloatBuffer maskToken = c.encoderMaskTokens() ? null : Rows.of(Kernels.get(p, "mask_token"));
    for (int s = 0; s < n; s++) {
      for (int t = 0; t < td; t++) {
        int dst = (s * td + t) * dd;
        int pos = t * dd;
        if (t > 0 && maskToken != null && removed(s, t - 1)) {
          for (int j = 0; j < dd; j++) {
            x.put(dst + j, maskToken.get(j) + decPos[pos + j]);
          }
        } else {
          int src = (s * te + sourceToken(s, t)) * dd;
          for (int j = 0; j < dd; j++) {
            x.put(dst + j, e.get(src + j) + decPos[pos + j]);
          }
        }
      }
    }
  }

  /** The encoder token that decoder token t of sample s comes from (t not a mask token). */
  private int sourceToken(int s, int t) {
    if (t == 0 || c.encoderMaskTokens()) {
      return t;
    }
    return 1 + rank[s * l + t - 1];
  }

  private void decoderInputBackward(Map<String, INDArray> grads) {
    FloatBuffer dx = Rows.of(dDec);
    FloatBuffer dE = Rows.of(dDe);
    double[] maskToken = new double[dd];
    boolean asym = !c.encoderMaskTokens();
    for (int s = 0; s < n; s++) {
      for (int t = 0; t < td; t++) {
        int src = (s * td + t) * dd;
        if (t > 0 && asym && removed(s, t - 1)) {
          for (int j = 0; j < dd; j++) {
            maskToken[j] += dx.get(src + j);
          }
        } else {
          int dst = (s * te + sourceToken(s, t)) * dd;
          for (int j = 0; j < dd; j++) {
            dE.put(dst + j, dx.get(src + j));
          }
        }
      }
    }
    if (asym) {
      write(Kernels.get(grads, "mask_token"), maskToken);
    }
  }

  /** norm-pix target: each patch to zero mean, unit (unbiased) variance, eps 1e-6. */
  private void normalizePatches(FloatBuffer t) {
    for (int r = 0; r < n * l; r++) {
      int o = r * pd;
      double s = 0;
      for (int j = 0; j < pd; j++) {
        s += t.get(o + j);
      }
      float mean = (float) (s / pd);
      double ss = 0;
      for (int j = 0; j < pd; j++) {
        float x = t.get(o + j) - mean;
        ss += (double) x * x;
      }
      float std = (float) Math.sqrt(ss / (pd - 1) + MaeGraph.NORM_PIX_EPS);
      for (int j = 0; j < pd; j++) {
        t.put(o + j, (t.get(o + j) - mean) / std);
      }
    }
  }

  /**
   * The batch sum of the official loss, sum over removed patches of the per-patch MSE divided by
   * the removed count per sample (L - len_keep), and its gradient in {@link #dOut}.
   */
  private double loss() {
    FloatBuffer pred = Rows.of(out);
    FloatBuffer tgt = Rows.of(target);
    FloatBuffer grad = Rows.of(dOut);
    int removedPerSample = l - keep;
    float scale = (float) (2.0 / ((double) pd * removedPerSample));
    double sum = 0;
    for (int s = 0; s < n; s++) {
      zeroRow(grad, s * td * pd, pd); // cls row: not part of pred
      for (int i = 0; i < l; i++) {
        int o = (s * td + 1 + i) * pd;
        if (!removed(s, i)) {
          zeroRow(grad, o, pd);
          continue;
        }
        int ot = (s * l + i) * pd;
        double se = 0;
        for (int j = 0; j < pd; j++) {
          float diff = pred.get(o + j) - tgt.get(ot + j);
          se += (double) diff * diff;
          grad.put(o + j, scale * diff);
        }
        sum += se / pd;
      }
    }
    return sum / removedPerSample;
  }

  private static void zeroRow(FloatBuffer b, int offset, int len) {
    for (int j = 0; j < len; j++) {
      b.put(offset + j, 0f);
    }
  }

  private static void write(INDArray view, double[] v) {
    FloatBuffer b = Rows.of(view);
    for (int j = 0; j < b.capacity(); j++) {
      b.put(j, (float) v[j]);
    }
  }
}
