package org.maespark.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A fixture made by the reference's {@code make_parity_fixture.py}: {@code summary.json}, {@code
 * weights.safetensors} and {@code fixture.safetensors}. Read from the directory in the system
 * property {@code mae.parity.fixture}, else from the bundled test resource {@code parity_small/}.
 */
record ParityFixture(
    String source,
    MaeConfig config,
    JsonNode summary,
    Map<String, INDArray> tensors,
    byte[] weights) {

  static final String PROPERTY = "mae.parity.fixture";

  /** The bundled fixtures: the shared one and two more shapes (see src/test/python). */
  static final java.util.List<String> BUNDLED =
      java.util.List.of("parity_small", "parity_gray_nonorm", "parity_p8_img24");

  /** The fixture of {@code -Dmae.parity.fixture=DIR}, else every bundled one. */
  static java.util.List<ParityFixture> selected() throws IOException {
    String dir = System.getProperty(PROPERTY);
    java.util.List<ParityFixture> out = new java.util.ArrayList<>();
    if (dir != null && !dir.isBlank()) {
      out.add(load(dir, name -> Files.newInputStream(Path.of(dir, name))));
    } else {
      for (String b : BUNDLED) {
        out.add(load("classpath:" + b, name -> resource("/" + b + "/" + name)));
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return source;
  }

  static ParityFixture load(String where, Opener open) throws IOException {
    JsonNode summary;
    try (InputStream in = open.open("summary.json")) {
      summary = new ObjectMapper().readTree(in);
    }
    JsonNode c = summary.get("config");
    MaeConfig config =
        new MaeConfig(
            c.get("img_size").asInt(),
            c.get("patch").asInt(),
            c.get("in_chans").asInt(),
            c.get("embed_dim").asInt(),
            c.get("depth").asInt(),
            c.get("heads").asInt(),
            c.get("dec_dim").asInt(),
            c.get("dec_depth").asInt(),
            c.get("dec_heads").asInt(),
            c.get("mlp_ratio").asDouble(),
            c.get("mask_ratio").asDouble(),
            c.get("norm_pix").asBoolean(),
            false);
    Map<String, INDArray> tensors;
    try (InputStream in = open.open("fixture.safetensors")) {
      tensors = SafeTensors.read(in, where + "/fixture.safetensors").tensors();
    }
    byte[] weights;
    try (InputStream in = open.open("weights.safetensors")) {
      weights = in.readAllBytes();
    }
    return new ParityFixture(where, config, summary, tensors, weights);
  }

  INDArray get(String name) {
    INDArray a = tensors.get(name);
    if (a == null) {
      throw new IllegalArgumentException(source + ": fixture has no tensor " + name);
    }
    return a;
  }

  interface Opener {
    InputStream open(String name) throws IOException;
  }

  private static InputStream resource(String path) throws IOException {
    InputStream in = ParityFixture.class.getResourceAsStream(path);
    if (in == null) {
      throw new IOException("test resource " + path + " not found");
    }
    return in;
  }
}
