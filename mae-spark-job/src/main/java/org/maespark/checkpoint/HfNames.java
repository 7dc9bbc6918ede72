package org.maespark.checkpoint;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The Hugging Face {@code ViTMAEForPreTraining} tensor names and the official / timm ones, both
 * ways (the README's table). The only change of values: Hugging Face keeps the attention's query,
 * key and value projections apart, the official {@code attn.qkv} stacks them along dim 0.
 */
public final class HfNames {
  private static final Pattern HF_LAYER =
      Pattern.compile("(vit\\.encoder\\.layer|decoder\\.decoder_layers)\\.(\\d+)\\.(.+)");
  private static final Pattern OFFICIAL_BLOCK =
      Pattern.compile("(blocks|decoder_blocks)\\.(\\d+)\\.(.+)");
  private static final String[] QKV = {"query", "key", "value"};

  /** Official name -> Hugging Face name, outside the blocks. */
  private static final Map<String, String> TOP =
      Map.ofEntries(
          Map.entry("cls_token", "vit.embeddings.cls_token"),
          Map.entry("pos_embed", "vit.embeddings.position_embeddings"),
          Map.entry("patch_embed.proj.weight", "vit.embeddings.patch_embeddings.projection.weight"),
          Map.entry("patch_embed.proj.bias", "vit.embeddings.patch_embeddings.projection.bias"),
          Map.entry("norm.weight", "vit.layernorm.weight"),
          Map.entry("norm.bias", "vit.layernorm.bias"),
          Map.entry("mask_token", "decoder.mask_token"),
          Map.entry("decoder_pos_embed", "decoder.decoder_pos_embed"),
          Map.entry("decoder_embed.weight", "decoder.decoder_embed.weight"),
          Map.entry("decoder_embed.bias", "decoder.decoder_embed.bias"),
          Map.entry("decoder_norm.weight", "decoder.decoder_norm.weight"),
          Map.entry("decoder_norm.bias", "decoder.decoder_norm.bias"),
          Map.entry("decoder_pred.weight", "decoder.decoder_pred.weight"),
          Map.entry("decoder_pred.bias", "decoder.decoder_pred.bias"));

  /** Official name inside a block -> Hugging Face name inside a layer (q/k/v apart). */
  private static final Map<String, String> IN_BLOCK =
      Map.ofEntries(
          Map.entry("norm1", "layernorm_before"),
          Map.entry("norm2", "layernorm_after"),
          Map.entry("attn.proj", "attention.output.dense"),
          Map.entry("mlp.fc1", "intermediate.dense"),
          Map.entry("mlp.fc2", "output.dense"));

  private HfNames() {}

  /** Whether {@code keys} are Hugging Face names (every ViTMAE tensor starts so). */
  public static boolean isHf(Iterable<String> keys) {
    for (String k : keys) {
      if (k.startsWith("vit.") || k.startsWith("decoder.")) {
        return true;
      }
    }
    return false;
  }

  /** The official state_dict as Hugging Face tensors (q, k, v split out of qkv). */
  public static Map<String, INDArray> toHf(Map<String, INDArray> official) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    official.forEach(
        (k, v) -> {
          Matcher m = OFFICIAL_BLOCK.matcher(k);
          if (TOP.containsKey(k)) {
            out.put(TOP.get(k), v);
          } else if (m.matches()) {
            String layer =
                (m.group(1).equals("blocks") ? "vit.encoder.layer." : "decoder.decoder_layers.")
                    + m.group(2)
                    + ".";
            String rest = m.group(3);
            if (rest.startsWith("attn.qkv.")) {
              String param = rest.substring("attn.qkv.".length()); // weight [3D, D] | bias [3D]
              long d = v.size(0) / 3;
              for (int i = 0; i < 3; i++) {
                INDArray part =
                    v.rank() == 2
                        ? v.get(NDArrayIndex.interval(i * d, (i + 1) * d), NDArrayIndex.all())
                        : v.get(NDArrayIndex.interval(i * d, (i + 1) * d));
                out.put(layer + "attention.attention." + QKV[i] + "." + param, part.dup('c'));
              }
            } else {
              out.put(layer + renameInBlock(rest, k), v);
            }
          } else {
            throw new IllegalArgumentException("no Hugging Face name for tensor '" + k + "'");
          }
        });
    return out;
  }

  private static String renameInBlock(String rest, String key) {
    int dot = rest.lastIndexOf('.');
    String module = rest.substring(0, dot);
    String hf = IN_BLOCK.get(module);
    if (hf == null) {
      throw new IllegalArgumentException("no Hugging Face name for tensor '" + key + "'");
    }
    return hf + rest.substring(dot);
  }

  /**
   * Hugging Face tensors under official names (q, k, v stacked into qkv). A name outside the
   * README's table fails naming it.
   */
  public static Map<String, INDArray> toOfficial(Map<String, INDArray> hf, String source) {
    Map<String, String> topBack = new LinkedHashMap<>();
    TOP.forEach((o, h) -> topBack.put(h, o));
    Map<String, String> blockBack = new LinkedHashMap<>();
    IN_BLOCK.forEach((o, h) -> blockBack.put(h, o));
    Map<String, INDArray> out = new LinkedHashMap<>();
    Map<String, INDArray[]> qkv = new LinkedHashMap<>();
    for (Map.Entry<String, INDArray> e : hf.entrySet()) {
      String k = e.getKey();
      Matcher m = HF_LAYER.matcher(k);
      if (topBack.containsKey(k)) {
        out.put(topBack.get(k), e.getValue());
        continue;
      }
      if (!m.matches()) {
        throw unknown(source, k);
      }
      String block =
          (m.group(1).startsWith("vit") ? "blocks." : "decoder_blocks.") + m.group(2) + ".";
      String rest = m.group(3);
      int dot = rest.lastIndexOf('.');
      if (dot < 0) {
        throw unknown(source, k);
      }
      String module = rest.substring(0, dot);
      String param = rest.substring(dot + 1);
      int q = qkvIndex(module);
      if (q >= 0) {
        qkv.computeIfAbsent(block + "attn.qkv." + param, x -> new INDArray[3])[q] = e.getValue();
      } else if (blockBack.containsKey(module)) {
        out.put(block + blockBack.get(module) + "." + param, e.getValue());
      } else {
        throw unknown(source, k);
      }
    }
    qkv.forEach(
        (k, parts) -> {
          for (int i = 0; i < 3; i++) {
            if (parts[i] == null) {
              throw new IllegalArgumentException(
                  source + ": tensor '" + k + "' needs the attention's " + QKV[i] + " (missing)");
            }
          }
          out.put(k, Nd4j.concat(0, parts));
        });
    return out;
  }

  private static int qkvIndex(String module) {
    for (int i = 0; i < 3; i++) {
      if (module.equals("attention.attention." + QKV[i])) {
        return i;
      }
    }
    return -1;
  }

  private static IllegalArgumentException unknown(String source, String key) {
    return new IllegalArgumentException(
        source + ": unknown tensor '" + key + "' (not a ViTMAEForPreTraining name)");
  }
}
