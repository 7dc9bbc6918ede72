package org.maespark.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.checkpoint.CheckpointState;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.model.SafeTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code notebooks/inspect_checkpoint.ipynb} executed headless ({@code jupyter nbconvert}, so under
 * {@code mvn verify}) against checkpoints written by the trainer's own {@link CheckpointStore} and
 * {@link CheckpointState}, with the weights of a 1-block MAE on 28x28 grey images with patch 7. The
 * cluster test runs it again on a checkpoint it trained.
 */
class NotebookIT {

  static final Path REPO = Path.of(System.getProperty("mae.repo.root"));
  static final Path NOTEBOOK = REPO.resolve("notebooks/inspect_checkpoint.ipynb");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void notebookRunsEveryCellOnACheckpoint() throws Exception {
    Path ckpt = writeCheckpoint(tmp.resolve("ckpt"), UnaryOperator.identity());
    Path executed = NotebookRunner.execute(NOTEBOOK, ckpt, tmp.resolve("out"));
    String out = Files.readString(executed);
    assertTrue(out.contains("newest complete checkpoint: epoch-00002"), "followed 'latest'");
    assertTrue(
        out.contains("_COMPLETE: 3 files, sizes and sha256 digests as recorded"), "marker checked");
    assertTrue(out.contains("global step 20 (10 steps/epoch)"), "state.json read");
    assertTrue(out.contains("4 step records, 2 epoch records, 1 with an evaluation"), "metrics");
    assertTrue(out.contains("blocks.0.attn.qkv.weight"), "per-tensor statistics printed");
    assertTrue(out.contains("model.patch matches"), "architecture checked");
    assertEquals(2, out.split("\"image/png\"", -1).length - 1, "curves and reconstructions drawn");
  }

  @Test
  void notebookFailsOnCorruptWeights() throws Exception {
    Path ckpt = writeCheckpoint(tmp.resolve("bad"), UnaryOperator.identity());
    Path weights = ckpt.resolve("epoch-00002/model.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 12)); // truncated
    assertFails(ckpt, "_COMPLETE recorded");
  }

  @Test
  void notebookFailsOnSameSizeCorruption() throws Exception {
    Path ckpt = writeCheckpoint(tmp.resolve("flipped"), UnaryOperator.identity());
    Path weights = ckpt.resolve("epoch-00002/model.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    bytes[bytes.length - 1] ^= 1; // same size, one bit of the last tensor flipped
    Files.write(weights, bytes);
    assertFails(ckpt, "sha256");
  }

  @Test
  void notebookFailsOnACheckpointWithoutMarker() throws Exception {
    Path ckpt = writeCheckpoint(tmp.resolve("unfinished"), UnaryOperator.identity());
    Files.delete(ckpt.resolve("epoch-00002").resolve(CheckpointStore.COMPLETE));
    assertFails(ckpt, "epoch-00002 is not a complete checkpoint");
  }

  @Test
  void notebookNamesAMissingStateField() throws Exception {
    Path ckpt =
        writeCheckpoint(
            tmp.resolve("old-state"),
            state -> {
              state.remove("stepsPerEpoch");
              return state;
            });
    assertFails(ckpt, "state.json: no field stepsPerEpoch");
  }

  private void assertFails(Path ckpt, String expected) {
    AssertionError e =
        assertThrows(
            AssertionError.class, () -> NotebookRunner.execute(NOTEBOOK, ckpt, tmp.resolve("o")));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  /**
   * A checkpoint root with epochs 1 and 2 (10 steps each, a step record every 5 steps, an
   * evaluation after epoch 2), as the trainer's store writes it; {@code editState} may alter
   * state.json before it is written.
   */
  static Path writeCheckpoint(Path root, UnaryOperator<ObjectNode> editState) throws IOException {
    CheckpointStore store = CheckpointStore.open(root.toUri().toString(), new Configuration());
    Nd4j.getRandom().setSeed(7);
    Map<String, INDArray> weights = weights();
    for (int epoch = 1; epoch <= 2; epoch++) {
      double lr = 1.5e-4 * epoch;
      for (int step = epoch * 10 - 5; step <= epoch * 10; step += 5) {
        store.appendMetrics(
            Map.of("kind", "step", "epoch", epoch, "step", step, "loss", 1.0 / step, "lr", lr));
      }
      Map<String, Object> metrics = new LinkedHashMap<>();
      metrics.put("kind", "epoch");
      metrics.put("epoch", epoch);
      metrics.put("step", epoch * 10);
      metrics.put("train_loss", 1.0 / epoch);
      metrics.put("lr", lr);
      if (epoch == 2) {
        metrics.put("val_loss", 0.6);
        metrics.put("knn_cls", 0.5);
        metrics.put("knn_mean", 0.55);
      }
      store.appendMetrics(metrics);
      CheckpointState state =
          new CheckpointState(
              CheckpointState.FORMAT_VERSION,
              epoch,
              epoch * 10L,
              10,
              lr,
              0,
              "model.embed_dim = 16\nmodel.depth = 1\nmodel.patch = 7\nmodel.in_chans = 1\n"
                  + "model.decoder_embed_dim = 8\nmodel.decoder_depth = 1\ntrain.epochs = 2\n",
              "sha256:0",
              "file:/datasets/fmnist",
              new double[] {0.29},
              new double[] {0.35},
              metrics,
              Map.of("mae-spark", "test"),
              null);
      ObjectNode stateJson = editState.apply((ObjectNode) JSON.readTree(state.toJson()));
      Map<String, CheckpointStore.FileWriter> files = new LinkedHashMap<>();
      files.put(
          "model.safetensors", out -> SafeTensors.write(weights, Map.of("format", "pt"), out));
      files.put(CheckpointStore.STATE, out -> out.write(JSON.writeValueAsBytes(stateJson)));
      // original | masked | reconstruction | with visible patches, 28 pixels each
      files.put(
          "recon.png",
          out ->
              ImageIO.write(new BufferedImage(112, 28, BufferedImage.TYPE_BYTE_GRAY), "png", out));
      store.write(epoch, files);
    }
    return root;
  }

  /** The tensors of a 1-block MAE (embedding 16, decoder 8, patch 7, 16 patches, grey). */
  private static Map<String, INDArray> weights() {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    int d = 16;
    int dd = 8;
    int p = 7;
    int c = 1;
    int l = 16;
    shapes.put("cls_token", new long[] {1, 1, d});
    shapes.put("pos_embed", new long[] {1, l + 1, d});
    shapes.put("patch_embed.proj.weight", new long[] {d, c, p, p});
    shapes.put("patch_embed.proj.bias", new long[] {d});
    block(shapes, "blocks.0", d);
    shapes.put("norm.weight", new long[] {d});
    shapes.put("norm.bias", new long[] {d});
    shapes.put("mask_token", new long[] {1, 1, dd});
    shapes.put("decoder_pos_embed", new long[] {1, l + 1, dd});
    shapes.put("decoder_embed.weight", new long[] {dd, d});
    shapes.put("decoder_embed.bias", new long[] {dd});
    block(shapes, "decoder_blocks.0", dd);
    shapes.put("decoder_norm.weight", new long[] {dd});
    shapes.put("decoder_norm.bias", new long[] {dd});
    shapes.put("decoder_pred.weight", new long[] {p * p * c, dd});
    shapes.put("decoder_pred.bias", new long[] {p * p * c});
    Map<String, INDArray> tensors = new LinkedHashMap<>();
    shapes.forEach((k, s) -> tensors.put(k, Nd4j.randn(DataType.FLOAT, s).muli(0.02)));
    return tensors;
  }

  private static void block(Map<String, long[]> shapes, String prefix, int d) {
    shapes.put(prefix + ".norm1.weight", new long[] {d});
    shapes.put(prefix + ".norm1.bias", new long[] {d});
    shapes.put(prefix + ".attn.qkv.weight", new long[] {3 * d, d});
    shapes.put(prefix + ".attn.qkv.bias", new long[] {3 * d});
    shapes.put(prefix + ".attn.proj.weight", new long[] {d, d});
    shapes.put(prefix + ".attn.proj.bias", new long[] {d});
    shapes.put(prefix + ".norm2.weight", new long[] {d});
    shapes.put(prefix + ".norm2.bias", new long[] {d});
    shapes.put(prefix + ".mlp.fc1.weight", new long[] {4 * d, d});
    shapes.put(prefix + ".mlp.fc1.bias", new long[] {4 * d});
    shapes.put(prefix + ".mlp.fc2.weight", new long[] {d, 4 * d});
    shapes.put(prefix + ".mlp.fc2.bias", new long[] {d});
  }
}
