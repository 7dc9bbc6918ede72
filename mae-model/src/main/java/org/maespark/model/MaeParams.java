package org.maespark.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every trainable parameter of an MAE, in the official {@code state_dict} order, with its official
 * key, PyTorch shape, initialization and whether AdamW decays it. Frozen position embeddings are
 * not parameters here (see {@link PosEmbed}).
 */
public final class MaeParams {

  /** How a parameter is initialized and optimized (official {@code initialize_weights}). */
  public enum Kind {
    /** Linear or patch-embed weight: xavier-uniform, weight-decayed. */
    WEIGHT(true),
    /** cls / mask token: normal(0, 0.02), weight-decayed (they are 3-D in the official code). */
    TOKEN(true),
    /** Linear bias: zeros, not decayed. */
    BIAS(false),
    /** Patch-embed bias: PyTorch's Conv2d default uniform(+-1/sqrt(fan_in)), not decayed. */
    CONV_BIAS(false),
    /** LayerNorm gain: ones, not decayed. */
    NORM_WEIGHT(false),
    /** LayerNorm shift: zeros, not decayed. */
    NORM_BIAS(false);

    /** AdamW's decay group (official rule: ndim &lt;= 1 or name ending .bias is not decayed). */
    public final boolean decayed;

    Kind(boolean decayed) {
      this.decayed = decayed;
    }
  }

  /**
   * One parameter.
   *
   * @param key official / timm key, e.g. {@code blocks.0.attn.qkv.weight}
   * @param shape PyTorch shape ([out, in] for linear weights)
   * @param kind initialization and decay group
   * @param fanIn fan-in for xavier / conv-bias init (0 where unused)
   * @param fanOut fan-out for xavier init (0 where unused)
   */
  public record Spec(String key, long[] shape, Kind kind, long fanIn, long fanOut) {
    /** The name inside DL4J and SameDiff: DL4J splits gradient keys at '_', so camelCase. */
    public String graphName() {
      return toGraphName(key);
    }

    public long length() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  private final List<Spec> specs;

  private MaeParams(List<Spec> specs) {
    this.specs = Collections.unmodifiableList(specs);
  }

  /** The parameters of a model with config {@code c}. */
  public static MaeParams of(MaeConfig c) {
    List<Spec> s = new ArrayList<>();
    int d = c.embedDim();
    int dd = c.decoderEmbedDim();
    int cpp = c.inChans() * c.patch() * c.patch();
    s.add(
        new Spec(
            "patch_embed.proj.weight",
            shape(d, c.inChans(), c.patch(), c.patch()),
            Kind.WEIGHT,
            cpp,
            d));
    s.add(new Spec("patch_embed.proj.bias", shape(d), Kind.CONV_BIAS, cpp, 0));
    s.add(new Spec("cls_token", shape(1, 1, d), Kind.TOKEN, 0, 0));
    for (int i = 0; i < c.depth(); i++) {
      block(s, "blocks." + i + ".", d, c.mlpHidden());
    }
    norm(s, "norm.", d);
    linear(s, "decoder_embed.", d, dd);
    if (!c.encoderMaskTokens()) {
      // The all-token variant never appends decoder mask tokens (nothing is removed before the
      // decoder), so it has no mask_token: DL4J needs a gradient for every parameter.
      s.add(new Spec("mask_token", shape(1, 1, dd), Kind.TOKEN, 0, 0));
    }
    for (int i = 0; i < c.decoderDepth(); i++) {
      block(s, "decoder_blocks." + i + ".", dd, c.decoderMlpHidden());
    }
    norm(s, "decoder_norm.", dd);
    linear(s, "decoder_pred.", dd, c.patchDim());
    if (c.encoderMaskTokens()) {
      s.add(new Spec("enc_mask_token", shape(1, 1, d), Kind.TOKEN, 0, 0));
    }
    return new MaeParams(s);
  }

  private static void block(List<Spec> s, String prefix, int dim, int hidden) {
    norm(s, prefix + "norm1.", dim);
    linear(s, prefix + "attn.qkv.", dim, 3 * dim);
    linear(s, prefix + "attn.proj.", dim, dim);
    norm(s, prefix + "norm2.", dim);
    linear(s, prefix + "mlp.fc1.", dim, hidden);
    linear(s, prefix + "mlp.fc2.", hidden, dim);
  }

  private static void linear(List<Spec> s, String prefix, int in, int out) {
    s.add(new Spec(prefix + "weight", shape(out, in), Kind.WEIGHT, in, out));
    s.add(new Spec(prefix + "bias", shape(out), Kind.BIAS, 0, 0));
  }

  private static void norm(List<Spec> s, String prefix, int dim) {
    s.add(new Spec(prefix + "weight", shape(dim), Kind.NORM_WEIGHT, 0, 0));
    s.add(new Spec(prefix + "bias", shape(dim), Kind.NORM_BIAS, 0, 0));
  }

  private static long[] shape(long... dims) {
    return dims;
  }

  /** All parameters in official order. */
  public List<Spec> specs() {
    return specs;
  }

  /** The parameter with official key {@code key}, or null. */
  public Spec byKey(String key) {
    for (Spec p : specs) {
      if (p.key().equals(key)) {
        return p;
      }
    }
    return null;
  }

  /** Trainable parameter count. */
  public long count() {
    long n = 0;
    for (Spec p : specs) {
      n += p.length();
    }
    return n;
  }

  /**
   * Official key to DL4J/SameDiff name: {@code decoder_blocks.0.mlp.fc1.bias} -> {@code
   * decoderBlocks.0.mlp.fc1.bias}. Official keys have no capitals, so this is reversible.
   */
  public static String toGraphName(String key) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < key.length(); i++) {
      char ch = key.charAt(i);
      if (ch == '_' && i + 1 < key.length()) {
        b.append(Character.toUpperCase(key.charAt(++i)));
      } else {
        b.append(ch);
      }
    }
    return b.toString();
  }
}
