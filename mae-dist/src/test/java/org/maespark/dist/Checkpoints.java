package org.maespark.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.maespark.model.SafeTensors;

/**
 * Checks a checkpoint root written by a real run the way an operator would trust it: every {@code
 * epoch-NNNNN} has its {@code _COMPLETE} marker with the size and sha256 of all its files, its
 * weights parse as safetensors and load, {@code latest} names a complete one.
 */
final class Checkpoints {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Checkpoints() {}

  /** Asserts the root is sound and returns the names of its complete checkpoints, sorted. */
  static List<String> verify(Path root) throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      for (Path dir : s.sorted().toList()) {
        String name = dir.getFileName().toString();
        if (!name.matches("epoch-\\d{5,}")) {
          continue; // .tmp-epoch-* of an interrupted write is hidden from readers
        }
        JsonNode files = JSON.readTree(dir.resolve("_COMPLETE").toFile()).get("files");
        assertTrue(files != null && files.size() > 0, dir + ": _COMPLETE lists no files");
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> f = it.next();
          Path file = dir.resolve(f.getKey());
          assertEquals(
              f.getValue().get("size").asLong(),
              Files.size(file),
              file + " size differs from _COMPLETE");
          assertEquals(f.getValue().get("sha256").asText(), sha256(file), file + " sha256 differs");
        }
        checkSafetensors(dir.resolve("model.safetensors"));
        names.add(name);
      }
    }
    assertTrue(!names.isEmpty(), root + " holds no complete checkpoint");
    String latest = Files.readString(root.resolve("latest")).trim();
    assertTrue(names.contains(latest), "latest = " + latest + " is not among " + names);
    assertEquals(names.get(names.size() - 1), latest, "latest is the newest");
    return names;
  }

  private static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return java.util.HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Header by hand (offsets contiguous, ending at the file's end), then a full read. */
  static void checkSafetensors(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertTrue(n > 0 && 8 + n <= bytes.length, file + ": header length " + n);
    JsonNode header = JSON.readTree(new String(bytes, 8, (int) n, "UTF-8"));
    long end = 0;
    List<long[]> ranges = new ArrayList<>();
    header
        .fields()
        .forEachRemaining(
            e -> {
              if (!e.getKey().equals("__metadata__")) {
                JsonNode o = e.getValue().get("data_offsets");
                ranges.add(new long[] {o.get(0).asLong(), o.get(1).asLong()});
              }
            });
    ranges.sort((a, b) -> Long.compare(a[0], b[0]));
    for (long[] r : ranges) {
      assertEquals(end, r[0], file + ": tensor data not contiguous");
      end = r[1];
    }
    assertEquals(bytes.length - 8 - n, end, file + ": data does not end at the file's end");
    try (InputStream in = Files.newInputStream(file)) {
      SafeTensors.Contents c = SafeTensors.read(in, file.toString());
      assertTrue(c.tensors().containsKey("decoder_pred.weight"), file + ": no decoder_pred");
    }
  }

  /** Lines of {@code metrics.jsonl}, each parsed. */
  static List<JsonNode> metrics(Path root) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(root.resolve("metrics.jsonl"))) {
      if (!line.isBlank()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }

  /** The per-epoch record of {@code epoch} in metrics.jsonl (progress lines are skipped). */
  static JsonNode epochRecord(Path root, int epoch) throws IOException {
    return metrics(root).stream()
        .filter(m -> "epoch".equals(m.path("kind").asText()) && m.path("epoch").asInt() == epoch)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no epoch " + epoch + " record in " + root));
  }
}
