package org.maespark.checkpoint;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.maespark.conf.Settings;
import org.maespark.model.MaeConfig;
import org.maespark.model.MaeModel;
import org.maespark.model.MaeWeights;
import org.maespark.model.SafeTensors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Weights trained elsewhere as a full official state_dict for this project's MAE. Accepts the
 * official / timm names (what {@code export} writes; with or without timm's {@code model.} prefix),
 * Hugging Face {@code ViTMAEForPreTraining} names ({@link HfNames}) and encoder-only files (timm's
 * {@code vit_*_patch16_224.mae}): their decoder and mask token get the official initialisation
 * ({@code models_mae.py} {@code initialize_weights}, as {@link MaeModel#create} does) from the
 * run's seed. The model's shape is read from the tensors where they fix it (embed dim, depth,
 * patch, channels, image size, MLP ratio, decoder width and depth); head counts and the rest come
 * from the configuration. A key the configuration sets explicitly is kept, so a file that does not
 * fit it is refused naming the tensor and both shapes.
 */
public final class WeightsImporter {
  private static final Pattern BLOCK = Pattern.compile("(blocks|decoder_blocks)\\.(\\d+)\\..+");
  private static final String TIMM_PREFIX = "model.";

  /** How the file named its tensors. */
  public enum KeyNames {
    OFFICIAL,
    OFFICIAL_MODEL_PREFIX,
    HUGGING_FACE
  }

  /**
   * Weights ready to load.
   *
   * @param settings the configuration with every {@code model.*} key resolved
   * @param config the model's shape
   * @param stateDict every tensor of the official state_dict, by official name
   * @param keyNames how the file named its tensors
   * @param encoderOnly whether the decoder and mask token were initialised here
   */
  public record Imported(
      Settings settings,
      MaeConfig config,
      Map<String, INDArray> stateDict,
      KeyNames keyNames,
      boolean encoderOnly) {

    /** What {@code state.json} records about where the weights came from. */
    public Map<String, String> origin(String file, String sha256, long seed) {
      Map<String, String> o = new LinkedHashMap<>();
      o.put("weights", file);
      o.put("sha256", sha256);
      o.put("key_names", keyNames.name().toLowerCase(java.util.Locale.ROOT));
      o.put(
          "decoder",
          encoderOnly
              ? "not in the file: decoder and mask_token initialised as the official MAE code"
                  + " does (xavier-uniform linears, mask_token normal std 0.02), seed "
                  + seed
              : "from the file");
      return o;
    }
  }

  private WeightsImporter() {}

  /** The file's tensors under official names, whatever names it used. */
  public static Map<String, INDArray> officialNames(Map<String, INDArray> tensors, String source) {
    return switch (keyNames(tensors)) {
      case HUGGING_FACE -> HfNames.toOfficial(tensors, source);
      case OFFICIAL_MODEL_PREFIX -> {
        Map<String, INDArray> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k.substring(TIMM_PREFIX.length()), v));
        yield out;
      }
      case OFFICIAL -> tensors;
    };
  }

  static KeyNames keyNames(Map<String, INDArray> tensors) {
    if (HfNames.isHf(tensors.keySet())) {
      return KeyNames.HUGGING_FACE;
    }
    boolean allPrefixed =
        !tensors.isEmpty() && tensors.keySet().stream().allMatch(k -> k.startsWith(TIMM_PREFIX));
    return allPrefixed ? KeyNames.OFFICIAL_MODEL_PREFIX : KeyNames.OFFICIAL;
  }

  /**
   * The file's weights for a model shaped by its tensors and {@code s}; a fresh decoder from {@code
   * seed} when the file holds the encoder only.
   */
  public static Imported resolve(SafeTensors.Contents file, Settings s, long seed, String source) {
    KeyNames names = keyNames(file.tensors());
    Map<String, INDArray> t = officialNames(file.tensors(), source);
    Settings resolved = withShapeFrom(t, s);
    MaeConfig config = MaeConfig.fromSettings(resolved);
    for (Map.Entry<String, String> e : config.toSettings().entrySet()) {
      resolved = resolved.with(e.getKey(), e.getValue());
    }
    boolean encoderOnly =
        t.keySet().stream().noneMatch(k -> k.startsWith("decoder") || k.equals("mask_token"));
    Map<String, INDArray> full = new LinkedHashMap<>();
    if (encoderOnly) {
      MaeModel fresh = MaeModel.create(config, seed);
      Map<String, INDArray> init = MaeWeights.stateDict(fresh);
      requireKnown(t, init, config, source);
      init.forEach((k, v) -> full.put(k, t.containsKey(k) ? t.get(k) : v));
      if (!t.containsKey(MaeWeights.POS_EMBED)) {
        full.put(MaeWeights.POS_EMBED, init.get(MaeWeights.POS_EMBED)); // fixed, not trained
      }
    } else {
      full.putAll(t);
      if (!full.containsKey(MaeWeights.POS_EMBED) && full.containsKey("cls_token")) {
        // some exports leave the frozen sin-cos tables out; they are fixed by the shape
        full.putAll(fixedPosEmbeds(config, full));
      }
    }
    return new Imported(resolved, config, full, names, encoderOnly);
  }

  private static Map<String, INDArray> fixedPosEmbeds(MaeConfig c, Map<String, INDArray> t) {
    Map<String, INDArray> out = new TreeMap<>();
    Map<String, INDArray> computed = MaeWeights.stateDict(MaeModel.create(c, 0));
    for (String k : new String[] {MaeWeights.POS_EMBED, MaeWeights.DECODER_POS_EMBED}) {
      if (!t.containsKey(k)) {
        out.put(k, computed.get(k));
      }
    }
    return out;
  }

  /** An encoder-only file may hold only encoder tensors of the official state_dict. */
  private static void requireKnown(
      Map<String, INDArray> t, Map<String, INDArray> expected, MaeConfig c, String source) {
    TreeSet<String> unknown = new TreeSet<>(t.keySet());
    unknown.removeAll(expected.keySet());
    if (!unknown.isEmpty()) {
      String k = unknown.first();
      throw new IllegalArgumentException(
          source
              + ": unexpected tensor '"
              + k
              + "' (shape "
              + Arrays.toString(t.get(k).shape())
              + ") for model "
              + c
              + (unknown.size() > 1
                  ? "; " + unknown.size() + " unexpected in all: " + unknown
                  : ""));
    }
    TreeSet<String> missing = new TreeSet<>(expected.keySet());
    missing.removeIf(
        k -> k.startsWith("decoder") || k.equals("mask_token") || k.endsWith("pos_embed"));
    missing.removeAll(t.keySet());
    if (!missing.isEmpty()) {
      String k = missing.first();
      throw new IllegalArgumentException(
          source
              + ": missing encoder tensor '"
              + k
              + "' (expected shape "
              + Arrays.toString(expected.get(k).shape())
              + ")"
              + (missing.size() > 1 ? "; " + missing.size() + " missing in all: " + missing : ""));
    }
  }

  /**
   * {@code s} with the {@code model.*} keys that the tensors fix set from them, unless {@code s}
   * sets them explicitly (then the loader compares and refuses a mismatch by key and shapes).
   */
  static Settings withShapeFrom(Map<String, INDArray> t, Settings s) {
    Map<String, String> found = new LinkedHashMap<>();
    INDArray proj = t.get("patch_embed.proj.weight"); // [D, C, p, p]
    if (proj != null && proj.rank() == 4) {
      found.put("model.embed_dim", Long.toString(proj.size(0)));
      found.put("model.in_chans", Long.toString(proj.size(1)));
      found.put("model.patch", Long.toString(proj.size(2)));
      INDArray pos = t.get(MaeWeights.POS_EMBED); // [1, 1 + L, D]
      if (pos != null && pos.rank() == 3) {
        long grid = Math.round(Math.sqrt(pos.size(1) - 1));
        if (grid * grid == pos.size(1) - 1) {
          found.put("model.img_size", Long.toString(grid * proj.size(2)));
        }
      }
      INDArray fc1 = t.get("blocks.0.mlp.fc1.weight"); // [hidden, D]
      if (fc1 != null && fc1.rank() == 2) {
        found.put("model.mlp_ratio", Double.toString((double) fc1.size(0) / proj.size(0)));
      }
    }
    int depth = blockCount(t, "blocks");
    if (depth > 0) {
      found.put("model.depth", Integer.toString(depth));
    }
    INDArray decEmbed = t.get("decoder_embed.weight"); // [Dd, D]
    if (decEmbed != null && decEmbed.rank() == 2) {
      found.put("model.decoder_embed_dim", Long.toString(decEmbed.size(0)));
    }
    int decDepth = blockCount(t, "decoder_blocks");
    if (decDepth > 0) {
      found.put("model.decoder_depth", Integer.toString(decDepth));
    }
    Settings out = s;
    for (Map.Entry<String, String> e : found.entrySet()) {
      if (!s.values().containsKey(e.getKey())) {
        out = out.with(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  private static int blockCount(Map<String, INDArray> t, String kind) {
    int max = -1;
    for (String k : t.keySet()) {
      Matcher m = BLOCK.matcher(k);
      if (m.matches() && m.group(1).equals(kind)) {
        max = Math.max(max, Integer.parseInt(m.group(2)));
      }
    }
    return max + 1;
  }
}
