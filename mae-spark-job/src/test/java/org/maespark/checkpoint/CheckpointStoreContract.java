package org.maespark.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

/** The checkpoint store's behaviour, run against each real Hadoop filesystem. */
abstract class CheckpointStoreContract {

  /** A fresh, empty store root on the filesystem under test. */
  abstract CheckpointStore store(String name) throws Exception;

  abstract FileSystem fs() throws Exception;

  static Map<String, CheckpointStore.FileWriter> files(String weights) {
    Map<String, CheckpointStore.FileWriter> m = new LinkedHashMap<>();
    m.put("model.safetensors", out -> out.write(weights.getBytes(StandardCharsets.UTF_8)));
    m.put("state.json", out -> out.write("{}".getBytes(StandardCharsets.UTF_8)));
    return m;
  }

  static String read(CheckpointStore s, CheckpointStore.Checkpoint c, String f) throws Exception {
    try (InputStream in = s.open(c, f)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void writesLayoutAndFindsNewest() throws Exception {
    CheckpointStore s = store("layout");
    s.write(1, files("w1"));
    s.write(2, files("w2"));
    CheckpointStore.Checkpoint newest = s.newestComplete().orElseThrow();
    assertEquals(2, newest.epoch());
    assertEquals("epoch-00002", newest.name());
    assertEquals("w2", read(s, newest, "model.safetensors"));
    assertTrue(fs().exists(new Path(newest.dir(), CheckpointStore.COMPLETE)));
    try (InputStream in = fs().open(new Path(s.root(), CheckpointStore.LATEST))) {
      assertEquals("epoch-00002", new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
    }
  }

  @Test
  void halfWrittenCheckpointsAreIgnored() throws Exception {
    CheckpointStore s = store("half");
    s.write(1, files("good"));
    FileSystem fs = fs();
    // a crash before the rename: only the temp directory exists
    fs.mkdirs(new Path(s.root(), ".tmp-epoch-00003"));
    writeFile(fs, new Path(s.root(), ".tmp-epoch-00003/model.safetensors"), "partial");
    // a crash after the rename (s3a copy) but before the marker
    writeFile(fs, new Path(s.root(), "epoch-00002/model.safetensors"), "partial");
    // a marker whose file was truncated afterwards (size mismatch)
    s.write(4, files("four"));
    writeFile(fs, new Path(s.root(), "epoch-00004/model.safetensors"), "fo");
    // a cut-short marker
    s.write(5, files("five"));
    writeFile(fs, new Path(s.root(), "epoch-00005/_COMPLETE"), "{\"files\": {\"mod");
    assertEquals(List.of(1), s.listComplete().stream().map(c -> c.epoch()).toList());
    assertEquals(1, s.newestComplete().orElseThrow().epoch());
    assertFalse(s.find(2).isPresent());
    // rewriting an epoch replaces the broken attempt
    s.write(2, files("fixed"));
    assertEquals("fixed", read(s, s.find(2).orElseThrow(), "model.safetensors"));
  }

  @Test
  void retentionKeepsLastKPlusEveryM() throws Exception {
    CheckpointStore s = store("retain");
    for (int e = 1; e <= 9; e++) {
      s.write(e, files("w" + e));
    }
    fs().mkdirs(new Path(s.root(), ".tmp-epoch-00010"));
    List<Integer> deleted = s.retain(2, 4);
    assertEquals(List.of(1, 2, 3, 5, 6, 7), deleted);
    assertEquals(List.of(4, 8, 9), s.listComplete().stream().map(c -> c.epoch()).toList());
    assertFalse(fs().exists(new Path(s.root(), ".tmp-epoch-00010")));
  }

  @Test
  void metricsAppendAndTruncate() throws Exception {
    CheckpointStore s = store("metrics");
    s.appendMetrics(Map.of("epoch", 1, "loss", 0.9));
    s.appendMetrics(Map.of("epoch", 2, "loss", 0.8));
    s.appendMetrics(Map.of("epoch", 3, "loss", 0.7));
    assertEquals(3, s.readMetricLines().size());
    s.truncateMetricsAfter(2);
    List<String> lines = s.readMetricLines();
    assertEquals(2, lines.size());
    assertTrue(lines.get(1).contains("\"epoch\":2"), lines.get(1));
  }

  @Test
  void aFlippedByteOfTheSameSizeIsRefusedNamingTheFileAndBothDigests() throws Exception {
    CheckpointStore s = store("flip");
    CheckpointStore.Checkpoint c = s.write(1, files("weights-0123456789"));
    s.verify(c);
    String marker = read(s, c, CheckpointStore.COMPLETE);
    String good = sha256Hex("weights-0123456789");
    assertTrue(marker.contains("\"sha256\":\"" + good + "\""), marker);
    assertTrue(marker.contains("\"size\":18"), marker);
    // same size, one byte changed, checksum sidecars gone (as after a copy that skips dot-files)
    Path weights = new Path(c.dir(), "model.safetensors");
    writeFile(fs(), weights, "weights-0123456788");
    for (var st : fs().listStatus(c.dir())) {
      if (st.getPath().getName().endsWith(".crc")) {
        fs().delete(st.getPath(), false);
      }
    }
    java.io.IOException e = assertThrows(java.io.IOException.class, () -> s.verify(c));
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    assertTrue(e.getMessage().contains(good), e.getMessage());
    assertTrue(e.getMessage().contains(sha256Hex("weights-0123456788")), e.getMessage());
  }

  @Test
  void aMarkerWithoutDigestsIsRefusedAsWrittenBeforeTheyWere() throws Exception {
    CheckpointStore s = store("old");
    CheckpointStore.Checkpoint c = s.write(1, files("w"));
    writeFile(
        fs(),
        new Path(c.dir(), CheckpointStore.COMPLETE),
        "{\"files\":{\"model.safetensors\":1,\"state.json\":2}}");
    java.io.IOException e = assertThrows(java.io.IOException.class, () -> s.verify(c));
    assertTrue(e.getMessage().contains("records no sha256"), e.getMessage());
    assertTrue(s.listComplete().isEmpty());
  }

  @Test
  void resumeSkipsNewerBrokenCheckpointsWithOneWarningEachAndKeepsThemAside() throws Exception {
    CheckpointStore s = store("resume");
    s.write(1, files("one"));
    s.write(2, files("two"));
    CheckpointStore.Checkpoint three = s.write(3, files("three"));
    writeFile(fs(), new Path(three.dir(), "model.safetensors"), "thrEe"); // same size
    s.write(4, files("four"));
    fs().delete(new Path(s.root(), "epoch-00004/" + CheckpointStore.COMPLETE), false);
    fs().mkdirs(new Path(s.root(), ".tmp-epoch-00005"));
    writeFile(fs(), new Path(s.root(), ".tmp-epoch-00005/model.safetensors"), "fi");

    List<String> warnings = new java.util.ArrayList<>();
    assertEquals(2, s.newestForResume(warnings::add).orElseThrow().epoch());
    assertEquals(3, warnings.size(), "" + warnings);
    String[][] expected = {
      {".tmp-epoch-00005", "did not finish", "epoch-00005.incomplete-"},
      {"epoch-00004", "no _COMPLETE", "epoch-00004.incomplete-"},
      {"epoch-00003", "model.safetensors: sha256 ", "epoch-00003.corrupt-"},
    };
    for (int i = 0; i < expected.length; i++) {
      String w = warnings.get(i);
      assertEquals(1, w.lines().count(), w);
      for (String f : expected[i]) {
        assertTrue(w.contains(f), "'" + f + "' missing in: " + w);
      }
    }
    List<String> names = new java.util.ArrayList<>();
    for (var st : fs().listStatus(s.root())) {
      names.add(st.getPath().getName());
    }
    for (String prefix :
        List.of("epoch-00003.corrupt-", "epoch-00004.incomplete-", "epoch-00005.incomplete-")) {
      assertTrue(names.stream().anyMatch(n -> n.startsWith(prefix)), prefix + " in " + names);
    }
    assertFalse(names.contains("epoch-00003") || names.contains("epoch-00004"), "" + names);
    // the next saves and retention leave the renamed folders alone; readers never list them
    s.write(3, files("again"));
    s.retain(1, 0);
    assertEquals(List.of(3), s.listComplete().stream().map(c -> c.epoch()).toList());
    long aside = 0;
    for (var st : fs().listStatus(s.root())) {
      aside += st.getPath().getName().matches("epoch-\\d{5}\\.(corrupt|incomplete)-.*") ? 1 : 0;
    }
    assertEquals(3, aside);
    s.requireOwnRoot();
    // nothing newer is broken now: no warning
    warnings.clear();
    assertEquals(3, s.newestForResume(warnings::add).orElseThrow().epoch());
    assertTrue(warnings.isEmpty(), "" + warnings);
  }

  static String sha256Hex(String text) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void onlyAnAbsentEmptyOrCheckpointFolderIsARoot() throws Exception {
    CheckpointStore foreign = store("foreign");
    writeFile(fs(), new Path(foreign.root(), "notes.txt"), "mine");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, foreign::requireOwnRoot);
    assertTrue(e.getMessage().contains("is not a checkpoint root"), e.getMessage());
    assertTrue(e.getMessage().contains(foreign.root().toString()), e.getMessage());
    assertTrue(fs().exists(new Path(foreign.root(), "notes.txt")));
    store("absent").requireOwnRoot();
    CheckpointStore empty = store("empty");
    fs().mkdirs(empty.root());
    empty.requireOwnRoot();
    CheckpointStore own = store("own");
    own.write(1, files("w"));
    own.requireOwnRoot();
  }

  static void writeFile(FileSystem fs, Path p, String text) throws Exception {
    try (FSDataOutputStream out = fs.create(p, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
