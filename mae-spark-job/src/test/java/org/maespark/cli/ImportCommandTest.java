package org.maespark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.checkpoint.HfNames;
import org.maespark.checkpoint.LoadedCheckpoint;
import org.maespark.model.MaeConfig;
import org.maespark.model.MaeModel;
import org.maespark.model.MaeWeights;
import org.maespark.model.SafeTensors;
import org.maespark.testing.FmnistTestData;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code import} on files in every accepted naming (official, timm's {@code model.} prefix, Hugging
 * Face ViTMAE, encoder only) made from a real MAE: the checkpoint it writes holds exactly the
 * file's tensors, {@code export} gives them back bit for bit, bad files are refused by key name and
 * shapes, and {@code pretrain --init-from} starts a new run from the import.
 */
class ImportCommandTest {
  @TempDir Path tmp;

  // heads are not in the tensors: they come from the configuration (the preset's 4)
  static final MaeConfig SHAPE =
      new MaeConfig(28, 4, 1, 64, 2, 4, 32, 1, 4, 4.0, 0.75, true, false);
  static final String[] CONFIG = {"--set", "model.preset=fmnist-28", "--set", "train.seed=5"};

  static Map<String, INDArray> original() {
    return MaeWeights.stateDict(MaeModel.create(SHAPE, 11));
  }

  Path write(String name, Map<String, INDArray> tensors) throws Exception {
    Path f = tmp.resolve(name);
    try (OutputStream o = Files.newOutputStream(f)) {
      SafeTensors.write(tensors, Map.of("format", "pt"), o);
    }
    return f;
  }

  static Map<String, INDArray> read(Path f) throws Exception {
    try (InputStream in = Files.newInputStream(f)) {
      return SafeTensors.read(in, f.toString()).tensors();
    }
  }

  int runImport(Path weights, Path out, StringWriter err, String... more) {
    List<String> a =
        new java.util.ArrayList<>(
            List.of("import", "--weights", weights.toString(), "--output", out.toString()));
    a.addAll(List.of(CONFIG));
    a.addAll(List.of(more));
    return Main.execute(new PrintWriter(err, true), a.toArray(new String[0]));
  }

  Map<String, INDArray> imported(Path weights, String name, String... more) throws Exception {
    Path out = tmp.resolve(name);
    StringWriter err = new StringWriter();
    assertEquals(0, runImport(weights, out, err, more), err.toString());
    assertTrue(Files.exists(out.resolve("epoch-00000").resolve("_COMPLETE")));
    LoadedCheckpoint ck = LoadedCheckpoint.open(out.toString(), new Configuration());
    assertEquals(
        SHAPE, ck.model().mae().config(), "shape read from the tensors + heads from config");
    assertEquals(0, ck.state().epoch());
    return MaeWeights.stateDict(ck.model().mae());
  }

  static void assertSame(Map<String, INDArray> want, Map<String, INDArray> got) {
    assertEquals(want.keySet(), got.keySet());
    want.forEach((k, v) -> assertEquals(v, got.get(k), "tensor " + k + " differs"));
  }

  @Test
  void officialTimmPrefixAndHuggingFaceNamesImportExactly() throws Exception {
    Map<String, INDArray> sd = original();
    assertSame(sd, imported(write("official.safetensors", sd), "official"));

    Map<String, INDArray> prefixed = new LinkedHashMap<>();
    sd.forEach((k, v) -> prefixed.put("model." + k, v));
    assertSame(sd, imported(write("timm.safetensors", prefixed), "timm"));

    Map<String, INDArray> hf = HfNames.toHf(sd);
    assertTrue(
        hf.containsKey("vit.encoder.layer.1.attention.attention.value.bias"), "" + hf.keySet());
    assertTrue(hf.containsKey("decoder.decoder_layers.0.output.dense.weight"), "" + hf.keySet());
    assertSame(sd, imported(write("hf.safetensors", hf), "hf"));
  }

  @Test
  void exportThenImportGivesIdenticalTensorsAlsoThroughHuggingFaceNames() throws Exception {
    Map<String, INDArray> sd = original();
    imported(write("w.safetensors", sd), "first");
    Path exp = tmp.resolve("export");
    assertEquals(
        0,
        Main.execute(
            "export",
            "--checkpoint",
            tmp.resolve("first").toString(),
            "--output",
            exp.toString(),
            "--hf"));
    Map<String, INDArray> full = read(exp.resolve(ExportCommand.FULL));
    assertSame(sd, full);
    assertSame(sd, imported(exp.resolve(ExportCommand.FULL), "again"));
    Map<String, INDArray> hf = read(exp.resolve(ExportCommand.HF));
    assertSame(HfNames.toHf(sd), hf);
    assertSame(sd, imported(exp.resolve(ExportCommand.HF), "again-hf"));
  }

  @Test
  void encoderOnlyFileGetsTheOfficialDecoderInitAndSaysSo() throws Exception {
    Map<String, INDArray> sd = original();
    Map<String, INDArray> enc = ExportCommand.encoderOnly(sd);
    // the file cannot say the decoder's shape: the configuration does
    Map<String, INDArray> got =
        imported(
            write("enc.safetensors", enc),
            "enc",
            "--set",
            "model.decoder_embed_dim=32",
            "--set",
            "model.decoder_depth=1");
    // the decoder the project's MAE draws from train.seed = 5 (official initialize_weights)
    Map<String, INDArray> fresh = MaeWeights.stateDict(MaeModel.create(SHAPE, 5));
    got.forEach(
        (k, v) -> {
          boolean decoder = k.startsWith("decoder") || k.equals("mask_token");
          assertEquals(decoder ? fresh.get(k) : sd.get(k), v, k);
        });
    JsonNode state =
        new ObjectMapper().readTree(tmp.resolve("enc/epoch-00000/state.json").toFile());
    assertTrue(
        state.at("/origin/decoder").asText().contains("initialised as the official MAE code"),
        state.toString());
    assertEquals(64, state.at("/origin/sha256").asText().length());
  }

  @Test
  void filesThatDoNotFitAreRefusedByKeyAndShapes() throws Exception {
    Map<String, INDArray> sd = original();
    Path f = write("w.safetensors", sd);
    StringWriter err = new StringWriter();
    assertEquals(1, runImport(f, tmp.resolve("a"), err, "--set", "model.embed_dim=128"));
    assertTrue(
        err.toString()
                .contains("'blocks.0.attn.qkv.weight' has shape [192, 64], expected [384, 128]")
            || err.toString().matches("(?s).*'[a-z_.0-9]+' has shape \\[.*\\], expected \\[.*")
                && err.toString().contains("128"),
        err.toString());

    Map<String, INDArray> extra = new LinkedHashMap<>(sd);
    extra.put("head.weight", sd.get("norm.weight"));
    err = new StringWriter();
    assertEquals(1, runImport(write("extra.safetensors", extra), tmp.resolve("b"), err));
    assertTrue(err.toString().contains("unexpected tensor 'head.weight'"), err.toString());

    Map<String, INDArray> missing = new LinkedHashMap<>(sd);
    missing.remove("blocks.1.norm2.bias");
    err = new StringWriter();
    assertEquals(1, runImport(write("missing.safetensors", missing), tmp.resolve("c"), err));
    assertTrue(err.toString().contains("missing tensor 'blocks.1.norm2.bias'"), err.toString());

    Map<String, INDArray> hf = HfNames.toHf(sd);
    hf.put("vit.encoder.layer.0.attention.attention.rotary.weight", sd.get("norm.weight"));
    err = new StringWriter();
    assertEquals(1, runImport(write("badhf.safetensors", hf), tmp.resolve("d"), err));
    assertTrue(
        err.toString()
            .contains("unknown tensor 'vit.encoder.layer.0.attention.attention.rotary.weight'"),
        err.toString());
  }

  @Test
  void pretrainInitFromStartsANewRunFromImportedWeights() throws Exception {
    String data = FmnistTestData.write(tmp.resolve("data"), 20, 5);
    Map<String, INDArray> sd = original();
    imported(write("w.safetensors", sd), "imported");
    Path run = tmp.resolve("run");
    StringWriter err = new StringWriter();
    int rc =
        Main.execute(
            new PrintWriter(err, true),
            "pretrain",
            "--dataset",
            data,
            "--checkpoints",
            run.toString(),
            "--init-from",
            tmp.resolve("imported").toString(),
            "--set",
            "model.preset=fmnist-28",
            "--set",
            "model.embed_dim=64",
            "--set",
            "model.depth=2",
            "--set",
            "model.decoder_embed_dim=32",
            "--set",
            "model.decoder_depth=1",
            "--set",
            "train.epochs=1",
            "--set",
            "train.warmup_epochs=0",
            "--set",
            "train.workers=1",
            "--set",
            "train.batch_per_worker=50",
            "--set",
            "eval.every=0");
    assertEquals(0, rc, err.toString());
    JsonNode state = new ObjectMapper().readTree(run.resolve("epoch-00001/state.json").toFile());
    assertEquals(1, state.get("epoch").asInt(), "a new run: epoch 1 after one epoch");
    assertEquals(
        tmp.resolve("imported/epoch-00000").toUri().getPath().replaceAll("/$", ""),
        java.net.URI.create(state.at("/origin/checkpoint").asText()).getPath(),
        state.toString());
    // one epoch of 4 steps moves the weights only a little away from the imported ones
    LoadedCheckpoint after = LoadedCheckpoint.open(run.toString(), new Configuration());
    INDArray w0 = sd.get("blocks.0.attn.qkv.weight");
    INDArray w1 = MaeWeights.stateDict(after.model().mae()).get("blocks.0.attn.qkv.weight");
    INDArray fresh =
        MaeWeights.stateDict(MaeModel.create(SHAPE, 0)).get("blocks.0.attn.qkv.weight");
    double moved = w1.sub(w0).norm2Number().doubleValue();
    double fromFresh = w1.sub(fresh).norm2Number().doubleValue();
    assertTrue(moved < 0.5 * fromFresh, "started from the import: " + moved + " vs " + fromFresh);

    // the imported root itself cannot be resumed: it has no optimizer state
    err = new StringWriter();
    rc =
        Main.execute(
            new PrintWriter(err, true),
            "pretrain",
            "--dataset",
            data,
            "--checkpoints",
            tmp.resolve("imported").toString(),
            "--set",
            "model.preset=fmnist-28",
            "--set",
            "train.epochs=1",
            "--set",
            "train.warmup_epochs=0");
    assertEquals(1, rc);
    assertTrue(err.toString().contains("--init-from"), err.toString());
  }
}
