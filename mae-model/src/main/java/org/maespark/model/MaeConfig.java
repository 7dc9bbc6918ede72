package org.maespark.model;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;

/**
 * The shape of one MAE: encoder, decoder and masking. Immutable and validated when built.
 *
 * @param imgSize square image side in pixels; a multiple of {@code patch}
 * @param patch patch side in pixels (16 in the paper)
 * @param inChans image channels, 1 (grey) or 3 (RGB)
 * @param embedDim encoder width D
 * @param depth encoder blocks
 * @param heads encoder attention heads; divides {@code embedDim}
 * @param decoderEmbedDim decoder width (512 in the paper)
 * @param decoderDepth decoder blocks (8 in the paper)
 * @param decoderHeads decoder attention heads; divides {@code decoderEmbedDim}
 * @param mlpRatio MLP hidden width / block width (4 in the paper)
 * @param maskRatio fraction of patches removed, in (0, 1) (0.75 in the paper)
 * @param normPixLoss per-patch normalized pixel targets (paper Sec. 4, "with norm pix")
 * @param encoderMaskTokens the paper's slow baseline: the encoder sees all tokens, masked ones
 *     replaced by a learned encoder mask token (Table 1c "encoder w/ [M]"); for benchmarks only
 */
public record MaeConfig(
    int imgSize,
    int patch,
    int inChans,
    int embedDim,
    int depth,
    int heads,
    int decoderEmbedDim,
    int decoderDepth,
    int decoderHeads,
    double mlpRatio,
    double maskRatio,
    boolean normPixLoss,
    boolean encoderMaskTokens) {

  /** Names accepted by {@link #preset(String)}. */
  public static final List<String> PRESETS =
      List.of("vit-ti-16", "vit-s-16", "vit-b-16", "vit-l-16", "vit-h-14", "tiny-32", "fmnist-28");

  public MaeConfig {
    positive("img_size", imgSize);
    positive("patch", patch);
    positive("embed_dim", embedDim);
    positive("depth", depth);
    positive("heads", heads);
    positive("decoder_embed_dim", decoderEmbedDim);
    positive("decoder_depth", decoderDepth);
    positive("decoder_heads", decoderHeads);
    if (imgSize % patch != 0) {
      throw invalid("img_size", imgSize, "a multiple of patch = " + patch);
    }
    if (inChans != 1 && inChans != 3) {
      throw invalid("in_chans", inChans, "1 or 3");
    }
    if (embedDim % heads != 0) {
      throw invalid("embed_dim", embedDim, "divisible by heads = " + heads);
    }
    if (decoderEmbedDim % decoderHeads != 0) {
      throw invalid(
          "decoder_embed_dim", decoderEmbedDim, "divisible by decoder_heads = " + decoderHeads);
    }
    // The 2-D sin-cos embedding splits the width into 4 sin/cos blocks (row and column).
    if (embedDim % 4 != 0) {
      throw invalid("embed_dim", embedDim, "a multiple of 4 (2-D sin-cos position embedding)");
    }
    if (decoderEmbedDim % 4 != 0) {
      throw invalid(
          "decoder_embed_dim", decoderEmbedDim, "a multiple of 4 (2-D sin-cos position embedding)");
    }
    if (!(mlpRatio > 0) || (int) (embedDim * mlpRatio) < 1) {
      throw invalid("mlp_ratio", mlpRatio, "> 0");
    }
    if (!(maskRatio > 0 && maskRatio < 1)) {
      throw invalid("mask_ratio", maskRatio, "in the open interval (0, 1)");
    }
    int l = (imgSize / patch) * (imgSize / patch);
    if ((int) (l * (1 - maskRatio)) < 1) {
      throw invalid(
          "mask_ratio", maskRatio, "small enough to keep at least one of " + l + " patches");
    }
  }

  private static void positive(String field, int value) {
    if (value < 1) {
      throw invalid(field, value, "a positive integer");
    }
  }

  private static ConfigException invalid(String field, Object value, String expected) {
    return new ConfigException("model." + field + " = " + value + ": expected " + expected);
  }

  /**
   * A named size. The ViT sizes are the paper's encoders (224 px, 3 channels) with its default
   * decoder 512/8/16 and norm-pix targets (the recipe's best setting); {@code tiny-32} and {@code
   * fmnist-28} are the benchmark configurations of the reference.
   */
  public static MaeConfig preset(String name) {
    return switch (name) {
      case "vit-ti-16" -> vit(16, 192, 12, 3);
      case "vit-s-16" -> vit(16, 384, 12, 6);
      case "vit-b-16" -> vit(16, 768, 12, 12);
      case "vit-l-16" -> vit(16, 1024, 24, 16);
      case "vit-h-14" -> vit(14, 1280, 32, 16);
      case "tiny-32" -> new MaeConfig(32, 4, 3, 192, 12, 3, 128, 4, 4, 4.0, 0.75, true, false);
      case "fmnist-28" -> new MaeConfig(28, 4, 1, 128, 6, 4, 64, 2, 4, 4.0, 0.75, true, false);
      default ->
          throw new ConfigException(
              "model.preset = " + name + ": expected one of " + String.join(", ", PRESETS));
    };
  }

  private static MaeConfig vit(int patch, int dim, int depth, int heads) {
    return new MaeConfig(224, patch, 3, dim, depth, heads, 512, 8, 16, 4.0, 0.75, true, false);
  }

  /**
   * Reads {@code model.*}: {@code model.preset} (default {@code vit-b-16}) gives every field, and
   * each field's own key ({@code model.embed_dim}, ...) overrides it.
   */
  public static MaeConfig fromSettings(Settings s) {
    MaeConfig p = preset(s.getString("model.preset", "vit-b-16"));
    return new MaeConfig(
        s.getInt("model.img_size", p.imgSize),
        s.getInt("model.patch", p.patch),
        s.getInt("model.in_chans", p.inChans),
        s.getInt("model.embed_dim", p.embedDim),
        s.getInt("model.depth", p.depth),
        s.getInt("model.heads", p.heads),
        s.getInt("model.decoder_embed_dim", p.decoderEmbedDim),
        s.getInt("model.decoder_depth", p.decoderDepth),
        s.getInt("model.decoder_heads", p.decoderHeads),
        s.getDouble("model.mlp_ratio", p.mlpRatio),
        s.getDouble("model.mask_ratio", p.maskRatio),
        s.getBoolean("model.norm_pix_loss", p.normPixLoss),
        s.getBoolean("model.encoder_mask_tokens", p.encoderMaskTokens));
  }

  /** The {@code model.*} keys that {@link #fromSettings} reads back into this config. */
  public Map<String, String> toSettings() {
    Map<String, String> m = new TreeMap<>();
    m.put("model.img_size", Integer.toString(imgSize));
    m.put("model.patch", Integer.toString(patch));
    m.put("model.in_chans", Integer.toString(inChans));
    m.put("model.embed_dim", Integer.toString(embedDim));
    m.put("model.depth", Integer.toString(depth));
    m.put("model.heads", Integer.toString(heads));
    m.put("model.decoder_embed_dim", Integer.toString(decoderEmbedDim));
    m.put("model.decoder_depth", Integer.toString(decoderDepth));
    m.put("model.decoder_heads", Integer.toString(decoderHeads));
    m.put("model.mlp_ratio", Double.toString(mlpRatio));
    m.put("model.mask_ratio", Double.toString(maskRatio));
    m.put("model.norm_pix_loss", Boolean.toString(normPixLoss));
    m.put("model.encoder_mask_tokens", Boolean.toString(encoderMaskTokens));
    return m;
  }

  /** The same model with the all-token encoder switched on or off. */
  public MaeConfig withEncoderMaskTokens(boolean on) {
    return new MaeConfig(
        imgSize,
        patch,
        inChans,
        embedDim,
        depth,
        heads,
        decoderEmbedDim,
        decoderDepth,
        decoderHeads,
        mlpRatio,
        maskRatio,
        normPixLoss,
        on);
  }

  /** Patches per side. */
  public int gridSize() {
    return imgSize / patch;
  }

  /** L, patches per image. */
  public int numPatches() {
    return gridSize() * gridSize();
  }

  /** Visible patches, {@code floor(L * (1 - maskRatio))} as the official code's int(). */
  public int lenKeep() {
    return (int) (numPatches() * (1 - maskRatio));
  }

  /** Values per patch, p*p*C. */
  public int patchDim() {
    return patch * patch * inChans;
  }

  /** Pixels per image, C*H*W: the width of the flattened {@code imgs} input. */
  public int imageDim() {
    return inChans * imgSize * imgSize;
  }

  /** Encoder MLP hidden width. */
  public int mlpHidden() {
    return (int) (embedDim * mlpRatio);
  }

  /** Decoder MLP hidden width. */
  public int decoderMlpHidden() {
    return (int) (decoderEmbedDim * mlpRatio);
  }
}
