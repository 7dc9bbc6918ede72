package org.maespark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.testing.FmnistTestData;

/**
 * The product end to end in Spark local[2] on real labelled images (Fashion-MNIST sample): the
 * {@code pretrain} command trains the real MAE, loss falls, checkpoints appear with the documented
 * layout, {@code evaluate} gives kNN above chance, {@code inspect} and {@code export} work on the
 * result.
 */
class EndToEndIT {
  @TempDir Path tmp;

  static List<String> args(String command, String... rest) {
    List<String> a = new ArrayList<>(List.of(command));
    for (String s : FmnistTestData.TINY_MAE) {
      a.add("--set");
      a.add(s);
    }
    a.addAll(List.of(rest));
    return a;
  }

  @Test
  void pretrainEvaluateInspectExport() throws Exception {
    String data = FmnistTestData.write(tmp.resolve("data"), 100, 30);
    Path ckpt = tmp.resolve("ckpt");
    List<String> pre =
        args(
            "pretrain",
            "--dataset",
            data,
            "--checkpoints",
            ckpt.toUri().toString(),
            "--set",
            "train.epochs=4",
            "--set",
            "train.warmup_epochs=1",
            "--set",
            "train.blr=1.5e-3",
            "--set",
            "train.batch_per_worker=32",
            "--set",
            "train.workers=2",
            "--set",
            "train.augment=flip",
            "--set",
            "train.log_every_steps=5",
            "--set",
            "checkpoint.every=2",
            "--set",
            "checkpoint.keep_last=1",
            "--set",
            "checkpoint.keep_every=0",
            "--set",
            "eval.every=2",
            "--set",
            "eval.batch=100");
    assertEquals(0, Main.execute(pre.toArray(new String[0])));

    // layout: only the newest checkpoint kept, complete, with every documented file
    assertEquals("epoch-00004", Files.readString(ckpt.resolve("latest")).trim());
    assertTrue(!Files.exists(ckpt.resolve("epoch-00002")), "retention keeps the last 1");
    for (String f :
        List.of("model.safetensors", "optimizer.bin", "state.json", "recon.png", "_COMPLETE")) {
      assertTrue(Files.size(ckpt.resolve("epoch-00004").resolve(f)) > 0, f);
    }
    ObjectMapper om = new ObjectMapper();
    List<JsonNode> metrics = new ArrayList<>();
    for (String l : Files.readAllLines(ckpt.resolve("metrics.jsonl"))) {
      JsonNode n = om.readTree(l);
      if (n.get("kind").asText().equals("epoch")) {
        metrics.add(n);
      }
    }
    assertEquals(4, metrics.size());
    double first = metrics.get(0).get("train_loss").asDouble();
    double last = metrics.get(3).get("train_loss").asDouble();
    assertTrue(last < 0.9 * first, "train loss should fall: " + first + " -> " + last);
    assertTrue(
        metrics.get(3).get("val_loss").asDouble() < metrics.get(1).get("val_loss").asDouble(),
        "val loss should fall between the evaluations");

    Path evalOut = tmp.resolve("eval");
    assertEquals(
        0,
        Main.execute(
            "evaluate",
            "--checkpoint",
            ckpt.toString(),
            "--output",
            evalOut.toString(),
            "--set",
            "eval.probe_epochs=5",
            "--set",
            "eval.batch=100"));
    JsonNode ev = om.readTree(evalOut.resolve("eval.json").toFile());
    assertTrue(ev.get("knn_mean").asDouble() > 0.3, "kNN far above chance (0.1): " + ev);
    assertTrue(ev.get("probe_mean").asDouble() > 0.3, "linear probe above chance: " + ev);
    assertTrue(Files.size(evalOut.resolve("recon.png")) > 0);

    Path png =
        Files.list(FmnistTestData.root().resolve("val/n00000000")).sorted().findFirst().get();
    Path out = tmp.resolve("inspect.png");
    assertEquals(
        0,
        Main.execute(
            "inspect", ckpt.toString(), "--images", png + "," + png, "--out", out.toString()));
    assertTrue(Files.size(out) > 0);

    Path exp = tmp.resolve("export");
    assertEquals(
        0, Main.execute("export", "--checkpoint", ckpt.toString(), "--output", exp.toString()));
    List<String> enc = tensorNames(exp.resolve(ExportCommand.ENCODER));
    assertTrue(
        enc.containsAll(List.of("blocks.0.attn.qkv.weight", "cls_token", "pos_embed")), "" + enc);
    assertTrue(
        enc.stream().noneMatch(k -> k.startsWith("decoder") || k.equals("mask_token")), "" + enc);
    List<String> full = tensorNames(exp.resolve(ExportCommand.FULL));
    assertTrue(
        full.containsAll(enc)
            && full.contains("decoder_pred.weight")
            && full.contains("mask_token"),
        "" + full);
  }

  /** Tensor names in a safetensors file's header (metadata excluded). */
  static List<String> tensorNames(Path f) throws Exception {
    byte[] b = Files.readAllBytes(f);
    long n = java.nio.ByteBuffer.wrap(b, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    JsonNode h =
        new ObjectMapper()
            .readTree(new String(b, 8, (int) n, java.nio.charset.StandardCharsets.UTF_8));
    List<String> names = new ArrayList<>();
    h.fieldNames()
        .forEachRemaining(
            k -> {
              if (!k.equals("__metadata__")) names.add(k);
            });
    return names;
  }

  @Test
  void badArgumentsExitOneWithOneLineBeforeSparkStarts() {
    String msg =
        refused(
            "pretrain",
            "--dataset",
            "/nonexistent",
            "--checkpoints",
            "/tmp/x",
            "--set",
            "train.epocs=3");
    assertTrue(msg.startsWith("mae: unknown config key 'train.epocs'"), msg);
    assertEquals(1, msg.lines().count(), msg);

    // data-prep's own command, mounted in the one CLI
    msg = refused("data-prep", "--input", "/nonexistent/tree", "--output", "/tmp/o");
    assertTrue(msg.contains("/nonexistent/tree"), msg);

    msg = refused("pretrain", "--set", "train.epochs=3");
    assertTrue(msg.contains("--dataset"), msg);

    msg = refused("pretrain", "--dataset", "/x", "--checkpoints", "/y", "--set", "train.blr=fast");
    assertTrue(msg.contains("'train.blr' = 'fast'"), msg);

    msg =
        refused(
            "pretrain",
            "--dataset",
            "/x",
            "--checkpoints",
            "/y",
            "--set",
            "train.sharing_stall_timeout_s=0");
    assertTrue(msg.contains("'train.sharing_stall_timeout_s' = 0"), msg);
  }

  /** Runs the CLI with {@code args}, asserts exit code 1, returns what it wrote to stderr. */
  private static String refused(String... args) {
    CliRun run = CliRun.of(args);
    assertEquals(1, run.rc(), run.err());
    return run.err();
  }
}
