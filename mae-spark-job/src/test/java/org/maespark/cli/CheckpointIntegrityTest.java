package org.maespark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.testing.TinyCheckpoint;

/**
 * Every command that reads a checkpoint refuses one whose files differ from their digests in {@code
 * _COMPLETE}, naming the file and both digests, even with no {@code .crc} sidecar left.
 */
class CheckpointIntegrityTest {
  @TempDir Path tmp;
  private String err;

  private int mae(String... args) {
    CliRun run = CliRun.of(args);
    err = run.err();
    return run.rc();
  }

  /** Flips one bit of the file's last byte (same size) and deletes every checksum sidecar. */
  static void corrupt(Path file) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(f.length() - 1);
      int b = f.read();
      f.seek(f.length() - 1);
      f.write(b ^ 1);
    }
    try (Stream<Path> s = Files.list(file.getParent())) {
      for (Path p : s.filter(p -> p.toString().endsWith(".crc")).toList()) {
        Files.delete(p);
      }
    }
  }

  @Test
  void inspectExportAndEvaluateRefuseAFlippedByte() throws Exception {
    Path root = tmp.resolve("ckpt");
    CheckpointStore.Checkpoint c = TinyCheckpoint.write(root, 1);
    String marker = Files.readString(root.resolve("epoch-00001/_COMPLETE"));
    corrupt(root.resolve("epoch-00001/model.safetensors"));
    String dir = root.resolve("epoch-00001").toString();
    for (String[] cmd :
        new String[][] {
          {"inspect", dir},
          {"inspect", root.toString()},
          {"export", "--checkpoint", dir, "--output", tmp.resolve("x").toString()},
          {"evaluate", "--checkpoint", dir},
        }) {
      assertEquals(1, mae(cmd), String.join(" ", cmd));
      assertEquals(1, err.lines().count(), err);
      assertTrue(err.contains("model.safetensors: sha256 "), err);
      assertTrue(err.contains(", _COMPLETE records "), err);
      String recorded = err.substring(err.indexOf("records ") + "records ".length()).strip();
      assertTrue(marker.contains(recorded), recorded + " not in " + marker);
    }
    assertTrue(Files.notExists(tmp.resolve("x")), "export wrote nothing");
    assertEquals(c.dir().getName(), "epoch-00001");
  }

  @Test
  void nonFiniteWeightsAreRefusedOnLoadAndNeverExported() throws Exception {
    Path root = tmp.resolve("ckpt");
    TinyCheckpoint.write(
        root, 1, m -> m.mae().params().get("blocks.0.attn.qkv.weight").putScalar(3, Float.NaN));
    Path out = tmp.resolve("export");
    assertEquals(1, mae("export", "--checkpoint", root.toString(), "--output", out.toString()));
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.contains("tensor 'blocks.0.attn.qkv.weight' holds 1 non-finite values"), err);
    assertTrue(err.contains("first: NaN at flat index 3"), err);
    assertTrue(Files.notExists(out), "nothing exported");
    assertEquals(1, mae("inspect", root.toString()));
    assertTrue(err.contains("model.safetensors: tensor 'blocks.0.attn.qkv.weight'"), err);
  }

  @Test
  void anExplicitCheckpointWithoutMarkerSaysSo() throws Exception {
    Path root = tmp.resolve("ckpt");
    TinyCheckpoint.write(root, 1);
    Files.delete(root.resolve("epoch-00001/_COMPLETE"));
    assertEquals(1, mae("inspect", root.resolve("epoch-00001").toString()));
    assertTrue(err.contains("no _COMPLETE (its write did not finish)"), err);
  }
}
