package org.maespark.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * MAE weights as safetensors with the official / timm keys and PyTorch shapes, so files move both
 * ways between this project and PyTorch. The frozen position embeddings are written like the
 * official checkpoints and checked on load against the ones this config computes.
 */
public final class MaeWeights {
  /** The frozen buffers the official state_dict holds beside the trainable parameters. */
  public static final String POS_EMBED = "pos_embed";

  public static final String DECODER_POS_EMBED = "decoder_pos_embed";

  /** Tolerance for a loaded position embedding against the computed one (float32 rounding). */
  private static final double POS_EMBED_TOL = 1e-5;

  private MaeWeights() {}

  /** Every tensor of the official state_dict for {@code model}, by official key, float32. */
  public static Map<String, INDArray> stateDict(MaeModel model) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    MaeConfig c = model.config();
    model.params().forEach((k, v) -> out.put(k, v.dup('c')));
    out.put(POS_EMBED, PosEmbed.sincos2d(c.embedDim(), c.gridSize()));
    out.put(DECODER_POS_EMBED, PosEmbed.sincos2d(c.decoderEmbedDim(), c.gridSize()));
    return out;
  }

  /** Writes the weights of {@code model}; metadata records the format and the config. */
  public static void save(MaeModel model, OutputStream out) throws IOException {
    Map<String, String> meta = new TreeMap<>();
    meta.put("format", "pt");
    meta.put("producer", "mae-spark");
    model.config().toSettings().forEach(meta::put);
    SafeTensors.write(stateDict(model), meta, out);
  }

  /** Reads weights into {@code model}; {@code source} names the stream in errors. */
  public static void load(MaeModel model, InputStream in, String source) throws IOException {
    apply(model, SafeTensors.read(in, source).tensors(), source);
  }

  /**
   * Copies {@code tensors} into the model's parameters. The key set must be exactly the official
   * state_dict's; any missing, extra or misshaped tensor fails naming the key and both shapes.
   */
  public static void apply(MaeModel model, Map<String, INDArray> tensors, String source) {
    Map<String, INDArray> expected = stateDict(model);
    TreeSet<String> missing = new TreeSet<>(expected.keySet());
    missing.removeAll(tensors.keySet());
    if (!missing.isEmpty()) {
      String k = missing.first();
      throw new IllegalArgumentException(
          source
              + ": missing tensor '"
              + k
              + "' (expected shape "
              + Arrays.toString(expected.get(k).shape())
              + ")"
              + (missing.size() > 1 ? "; " + missing.size() + " missing in all: " + missing : ""));
    }
    TreeSet<String> extra = new TreeSet<>(tensors.keySet());
    extra.removeAll(expected.keySet());
    if (!extra.isEmpty()) {
      String k = extra.first();
      throw new IllegalArgumentException(
          source
              + ": unexpected tensor '"
              + k
              + "' (shape "
              + Arrays.toString(tensors.get(k).shape())
              + ") for model "
              + model.config()
              + (extra.size() > 1 ? "; " + extra.size() + " unexpected in all: " + extra : ""));
    }
    for (Map.Entry<String, INDArray> e : expected.entrySet()) {
      INDArray got = tensors.get(e.getKey());
      if (!Arrays.equals(got.shape(), e.getValue().shape())) {
        throw new IllegalArgumentException(
            source
                + ": tensor '"
                + e.getKey()
                + "' has shape "
                + Arrays.toString(got.shape())
                + ", expected "
                + Arrays.toString(e.getValue().shape()));
      }
    }
    for (String k : new String[] {POS_EMBED, DECODER_POS_EMBED}) {
      double diff =
          tensors
              .get(k)
              .castTo(DataType.DOUBLE)
              .sub(expected.get(k).castTo(DataType.DOUBLE))
              .amaxNumber()
              .doubleValue();
      if (!(diff <= POS_EMBED_TOL)) {
        throw new IllegalArgumentException(
            source
                + ": tensor '"
                + k
                + "' differs from the fixed 2-D sin-cos embedding by up to "
                + diff
                + " (expected <= "
                + POS_EMBED_TOL
                + "); it is not trained, so it must match");
      }
    }
    model.params().forEach((k, view) -> view.assign(tensors.get(k).castTo(view.dataType())));
  }
}
