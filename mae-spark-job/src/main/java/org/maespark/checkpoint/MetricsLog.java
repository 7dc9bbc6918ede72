package org.maespark.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A run's {@code metrics.jsonl} (one JSON object per line), written by appending, so an 800-epoch
 * run does not rewrite its whole history on every line.
 *
 * <p>Filesystems with append (local, HDFS) get one file, {@code metrics.jsonl}. On the local
 * filesystem the file is written through Hadoop's raw local filesystem: the checksummed one has no
 * append, and a checksum sidecar would go stale. Object stores have no append: their lines go to
 * one file per epoch, {@code metrics/epoch-NNNNN.jsonl}, which is rewritten whole only for that
 * epoch's few lines. Readers take {@code metrics.jsonl} and then the epoch files in order.
 */
final class MetricsLog {
  static final String FILE = "metrics.jsonl";
  static final String PARTS = "metrics";
  private static final Pattern PART = Pattern.compile("epoch-(\\d{5})\\.jsonl");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FileSystem fs;
  private final Path root;
  private Boolean appendWorks; // learnt on the first append

  MetricsLog(FileSystem fs, Path root) {
    this.fs = fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    this.root = root;
  }

  /** Adds one record as a line. */
  void append(Map<String, ?> record) throws IOException {
    byte[] line = (JSON.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
    Path p = new Path(root, FILE);
    if (appendWorks == null) {
      appendWorks = !hasParts();
    }
    if (appendWorks) {
      if (!fs.exists(p)) {
        fs.mkdirs(root);
        dropChecksum(p);
        try (FSDataOutputStream out = fs.create(p, false)) {
          out.write(line);
        }
        return;
      }
      try (FSDataOutputStream out = fs.append(p)) {
        dropChecksum(p);
        out.write(line);
        return;
      } catch (UnsupportedOperationException | IOException e) {
        if (fs.getUri().getScheme().equals("file") || fs.getUri().getScheme().equals("hdfs")) {
          throw e; // these do append: a real failure
        }
        appendWorks = false; // an object store
      }
    }
    int epoch = JSON.readTree(line).path("epoch").asInt(0);
    Path part = new Path(new Path(root, PARTS), String.format("epoch-%05d.jsonl", epoch));
    byte[] before = fs.exists(part) ? readAll(part) : new byte[0];
    byte[] all = Arrays.copyOf(before, before.length + line.length);
    System.arraycopy(line, 0, all, before.length, line.length);
    try (FSDataOutputStream out = fs.create(part, true)) {
      out.write(all);
    }
  }

  /** Every line, in the order written (empty when none). */
  List<String> lines() throws IOException {
    List<String> out = new ArrayList<>();
    Path p = new Path(root, FILE);
    Path tmp = new Path(root, "." + FILE + ".tmp");
    Path src = fs.exists(p) ? p : fs.exists(tmp) ? tmp : null; // tmp: a crash in truncate
    if (src != null) {
      split(readAll(src), out);
    }
    for (Path part : parts()) {
      split(readAll(part), out);
    }
    return out;
  }

  /** Drops lines of epochs after {@code epoch} (a run resumed from an older checkpoint). */
  void truncateAfter(int epoch) throws IOException {
    List<String> kept = new ArrayList<>();
    Path p = new Path(root, FILE);
    if (fs.exists(p)) {
      List<String> all = new ArrayList<>();
      split(readAll(p), all);
      for (String line : all) {
        if (JSON.readTree(line).path("epoch").asInt(0) <= epoch) {
          kept.add(line);
        }
      }
      if (kept.size() < all.size()) {
        rewrite(p, kept);
      }
    }
    for (Path part : parts()) {
      Matcher m = PART.matcher(part.getName());
      if (m.matches() && Integer.parseInt(m.group(1)) > epoch) {
        fs.delete(part, false);
      }
    }
  }

  // the one whole-file rewrite, once per resume: through a temp name, as checkpoints are written
  private void rewrite(Path p, List<String> lines) throws IOException {
    Path tmp = new Path(root, "." + FILE + ".tmp");
    StringBuilder sb = new StringBuilder();
    lines.forEach(l -> sb.append(l).append('\n'));
    try (FSDataOutputStream out = fs.create(tmp, true)) {
      out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    fs.delete(p, false);
    dropChecksum(p);
    if (!fs.rename(tmp, p)) {
      throw new IOException("could not rename " + tmp + " to " + p);
    }
  }

  private boolean hasParts() throws IOException {
    return !parts().isEmpty();
  }

  private List<Path> parts() throws IOException {
    Path dir = new Path(root, PARTS);
    if (!fs.exists(dir)) {
      return List.of();
    }
    return Arrays.stream(fs.listStatus(dir))
        .map(FileStatus::getPath)
        .filter(q -> PART.matcher(q.getName()).matches())
        .sorted(Comparator.comparing(Path::getName))
        .toList();
  }

  /** A checksum sidecar left by an older version's checksummed write would no longer match. */
  private void dropChecksum(Path p) throws IOException {
    if (fs.getUri().getScheme().equals("file")) {
      fs.delete(new Path(p.getParent(), "." + p.getName() + ".crc"), false);
    }
  }

  private byte[] readAll(Path p) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (FSDataInputStream in = fs.open(p)) {
      in.transferTo(buf);
    }
    return buf.toByteArray();
  }

  private static void split(byte[] bytes, List<String> out) {
    for (String l : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      if (!l.isBlank()) {
        out.add(l);
      }
    }
  }
}
