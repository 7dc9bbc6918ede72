package org.maespark.dist;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code notebooks/inspect_checkpoint.ipynb} executed headless against a checkpoint directory in
 * the layout of DESIGN.md (written here, tensor for tensor as a 1-block MAE on 28x28 grey images
 * with patch 7 would be saved). The cluster test runs it again on a checkpoint it trained.
 */
class NotebookTest {

  static final Path REPO = Path.of(System.getProperty("mae.repo.root"));
  static final Path NOTEBOOK = REPO.resolve("notebooks/inspect_checkpoint.ipynb");

  @TempDir Path tmp;

  @Test
  void notebookRunsEveryCellOnACheckpoint() throws Exception {
    Path ckpt = writeCheckpoint(tmp.resolve("ckpt"));
    Path executed = NotebookRunner.execute(NOTEBOOK, ckpt, tmp.resolve("out"));
    String out = Files.readString(executed);
    assertTrue(out.contains("newest complete checkpoint: epoch-00002"), "followed 'latest'");
    assertTrue(out.contains("blocks.0.attn.qkv.weight"), "per-tensor statistics printed");
    assertTrue(out.contains("model.patch matches"), "architecture checked");
    assertTrue(out.contains("_COMPLETE: 3 files, all sizes as recorded"), "marker checked");
    assertTrue(out.contains("image/png"), "plots rendered");
  }

  @Test
  void notebookFailsOnCorruptWeights() throws Exception {
    Path ckpt = writeCheckpoint(tmp.resolve("bad"));
    Path weights = ckpt.resolve("epoch-00002/model.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 12)); // truncated
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> NotebookRunner.execute(NOTEBOOK, ckpt, tmp.resolve("out-bad")));
    assertTrue(e.getMessage().contains("_COMPLETE recorded"), e.getMessage());
  }

  /** A checkpoint root with epochs 1 and 2, {@code latest} naming epoch 2. */
  static Path writeCheckpoint(Path root) throws IOException {
    Random rng = new Random(7);
    Map<String, int[]> shapes = new LinkedHashMap<>();
    int d = 16;
    int dd = 8;
    int p = 7;
    int c = 1;
    int l = 16;
    shapes.put("cls_token", new int[] {1, 1, d});
    shapes.put("pos_embed", new int[] {1, l + 1, d});
    shapes.put("patch_embed.proj.weight", new int[] {d, c, p, p});
    shapes.put("patch_embed.proj.bias", new int[] {d});
    block(shapes, "blocks.0", d);
    shapes.put("norm.weight", new int[] {d});
    shapes.put("norm.bias", new int[] {d});
    shapes.put("mask_token", new int[] {1, 1, dd});
    shapes.put("decoder_pos_embed", new int[] {1, l + 1, dd});
    shapes.put("decoder_embed.weight", new int[] {dd, d});
    shapes.put("decoder_embed.bias", new int[] {dd});
    block(shapes, "decoder_blocks.0", dd);
    shapes.put("decoder_norm.weight", new int[] {dd});
    shapes.put("decoder_norm.bias", new int[] {dd});
    shapes.put("decoder_pred.weight", new int[] {p * p * c, dd});
    shapes.put("decoder_pred.bias", new int[] {p * p * c});

    StringBuilder metrics = new StringBuilder();
    for (int epoch = 1; epoch <= 2; epoch++) {
      Path dir = Files.createDirectories(root.resolve(String.format("epoch-%05d", epoch)));
      Files.write(dir.resolve("model.safetensors"), safetensors(shapes, rng));
      double loss = 1.0 / epoch;
      double lr = 1.5e-4 * epoch;
      // state.json as mae-spark-job's CheckpointState writes it (config: properties text).
      String config =
          String.format(
              "model.embed_dim=%d\\nmodel.depth=1\\nmodel.patch=%d\\nmodel.in_chans=%d\\n"
                  + "model.decoder_embed_dim=%d\\nmodel.decoder_depth=1\\ntrain.epochs=2\\n",
              d, p, c, dd);
      Files.writeString(
          dir.resolve("state.json"),
          String.format(
              "{\"formatVersion\": 1, \"epoch\": %d, \"globalStep\": %d, \"stepsPerEpoch\": 10,"
                  + " \"lr\": %s, \"seed\": 0, \"config\": \"%s\", \"metrics\": {\"train_loss\": %s},"
                  + " \"versions\": {\"mae-spark\": \"test\"}}",
              epoch, epoch * 10, lr, config, loss));
      ImageIO.write(
          new BufferedImage(84, 28, BufferedImage.TYPE_BYTE_GRAY),
          "png",
          dir.resolve("recon.png").toFile());
      Files.writeString(
          dir.resolve("_COMPLETE"),
          String.format(
              "{\"files\": {\"model.safetensors\": %d, \"state.json\": %d, \"recon.png\": %d}}",
              Files.size(dir.resolve("model.safetensors")),
              Files.size(dir.resolve("state.json")),
              Files.size(dir.resolve("recon.png"))));
      metrics.append(
          String.format(
              "{\"epoch\": %d, \"global_step\": %d, \"train_loss\": %s, \"lr\": %s}%n",
              epoch, epoch * 10, loss, lr));
    }
    Files.writeString(root.resolve("metrics.jsonl"), metrics);
    Files.writeString(root.resolve("latest"), "epoch-00002\n");
    return root;
  }

  private static void block(Map<String, int[]> shapes, String prefix, int d) {
    shapes.put(prefix + ".norm1.weight", new int[] {d});
    shapes.put(prefix + ".norm1.bias", new int[] {d});
    shapes.put(prefix + ".attn.qkv.weight", new int[] {3 * d, d});
    shapes.put(prefix + ".attn.qkv.bias", new int[] {3 * d});
    shapes.put(prefix + ".attn.proj.weight", new int[] {d, d});
    shapes.put(prefix + ".attn.proj.bias", new int[] {d});
    shapes.put(prefix + ".norm2.weight", new int[] {d});
    shapes.put(prefix + ".norm2.bias", new int[] {d});
    shapes.put(prefix + ".mlp.fc1.weight", new int[] {4 * d, d});
    shapes.put(prefix + ".mlp.fc1.bias", new int[] {4 * d});
    shapes.put(prefix + ".mlp.fc2.weight", new int[] {d, 4 * d});
    shapes.put(prefix + ".mlp.fc2.bias", new int[] {d});
  }

  /** safetensors bytes: u64 LE header length, JSON header, float32 LE data. */
  private static byte[] safetensors(Map<String, int[]> shapes, Random rng) throws IOException {
    StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    for (Map.Entry<String, int[]> e : shapes.entrySet()) {
      int n = 1;
      for (int s : e.getValue()) {
        n *= s;
      }
      ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        b.putFloat((float) (rng.nextGaussian() * 0.02));
      }
      int begin = data.size();
      data.write(b.array());
      header.append(
          String.format(
              ",\"%s\":{\"dtype\":\"F32\",\"shape\":%s,\"data_offsets\":[%d,%d]}",
              e.getKey(), java.util.Arrays.toString(e.getValue()), begin, data.size()));
    }
    header.append('}');
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(8 + h.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(h.length).put(h).put(data.toByteArray());
    return out.array();
  }
}
