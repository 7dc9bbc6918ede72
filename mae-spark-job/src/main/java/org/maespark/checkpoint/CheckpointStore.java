package org.maespark.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints on any Hadoop filesystem, laid out as DESIGN.md "Checkpoints" says:
 *
 * <pre>
 * root/epoch-00020/...          the files of one checkpoint, then _COMPLETE written last
 * root/metrics.jsonl            one JSON line per epoch / progress line / evaluation, appended
 * root/metrics/epoch-NNNNN.jsonl the same, on object stores (no append): one file per epoch
 * root/latest                   name of the newest complete checkpoint
 * </pre>
 *
 * <p>One write path for every filesystem: files go under {@code .tmp-epoch-NNNNN}, the directory is
 * renamed to {@code epoch-NNNNN}, and only then {@code _COMPLETE} (listing every file and its size)
 * is written into it. On HDFS the rename is atomic; on object stores ({@code s3a://}) it is a copy
 * that can stop half way, which is why the marker written last, not the rename, is what makes a
 * checkpoint complete. Readers only ever see checkpoints whose marker exists and whose files all
 * have the recorded sizes.
 */
public final class CheckpointStore {
  // The names of the files a checkpoint root and its epoch folders hold, all in one place.
  /** Marker written last into a checkpoint folder: every file and its size. */
  public static final String COMPLETE = "_COMPLETE";

  /** In the root: the name of the newest complete checkpoint. */
  public static final String LATEST = "latest";

  /** In the root: one JSON line per epoch / evaluation. */
  public static final String METRICS = "metrics.jsonl";

  /** The run's state ({@link CheckpointState}). */
  public static final String STATE = "state.json";

  /** The model's weights (MAE's parameter names, SafeTensors). */
  public static final String WEIGHTS = "model.safetensors";

  /** The optimizer's state (ND4J binary). */
  public static final String OPTIMIZER = "optimizer.bin";

  private static final Pattern NAME = Pattern.compile("epoch-(\\d{5,})");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FileSystem fs;
  private final Path root;
  private final MetricsLog metrics;

  /** Writes one file of a checkpoint to the given stream (the store owns and closes it). */
  @FunctionalInterface
  public interface FileWriter {
    void write(OutputStream out) throws IOException;
  }

  /** A complete checkpoint: its epoch and directory. */
  public record Checkpoint(int epoch, Path dir) {
    public String name() {
      return dir.getName();
    }
  }

  public CheckpointStore(FileSystem fs, Path root) {
    this.fs = fs;
    this.root = fs.makeQualified(root);
    this.metrics = new MetricsLog(fs, this.root);
  }

  /** The store at {@code uri} (any scheme Hadoop knows: file, hdfs, s3a, ...). */
  public static CheckpointStore open(String uri, Configuration conf) {
    try {
      Path root = new Path(uri);
      return new CheckpointStore(FileSystem.get(URI.create(uri), conf), root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open checkpoint directory " + uri, e);
    }
  }

  public Path root() {
    return root;
  }

  public static String dirName(int epoch) {
    return String.format("epoch-%05d", epoch);
  }

  /**
   * Writes the checkpoint of {@code epoch} from {@code files} (name -> writer, in order) and
   * publishes it; returns it. Any earlier attempt at the same epoch, complete or not, is replaced.
   */
  public Checkpoint write(int epoch, Map<String, FileWriter> files) throws IOException {
    String name = dirName(epoch);
    Path tmp = new Path(root, ".tmp-" + name);
    Path dir = new Path(root, name);
    fs.mkdirs(root);
    fs.delete(tmp, true);
    fs.mkdirs(tmp);
    Map<String, Long> sizes = new LinkedHashMap<>();
    for (Map.Entry<String, FileWriter> f : files.entrySet()) {
      if (f.getKey().equals(COMPLETE) || f.getKey().contains("/")) {
        throw new IllegalArgumentException("bad checkpoint file name '" + f.getKey() + "'");
      }
      Path p = new Path(tmp, f.getKey());
      try (FSDataOutputStream out = fs.create(p, false)) {
        f.getValue().write(out);
      }
      sizes.put(f.getKey(), fs.getFileStatus(p).getLen());
    }
    fs.delete(dir, true);
    if (!fs.rename(tmp, dir)) {
      throw new IOException("could not rename " + tmp + " to " + dir);
    }
    // The marker is the commit point: written last, after every file is in place.
    writeBytes(new Path(dir, COMPLETE), JSON.writeValueAsBytes(Map.of("files", sizes)));
    writeBytes(new Path(root, LATEST), (name + "\n").getBytes(StandardCharsets.UTF_8));
    return new Checkpoint(epoch, dir);
  }

  private void writeBytes(Path p, byte[] bytes) throws IOException {
    try (FSDataOutputStream out = fs.create(p, true)) {
      out.write(bytes);
    }
  }

  /** Complete checkpoints, oldest first. */
  public List<Checkpoint> listComplete() throws IOException {
    List<Checkpoint> out = new ArrayList<>();
    if (!fs.exists(root)) {
      return out;
    }
    for (FileStatus st : fs.listStatus(root)) {
      Matcher m = NAME.matcher(st.getPath().getName());
      if (st.isDirectory() && m.matches() && isComplete(st.getPath())) {
        out.add(new Checkpoint(Integer.parseInt(m.group(1)), st.getPath()));
      }
    }
    out.sort(Comparator.comparingInt(Checkpoint::epoch));
    return out;
  }

  /** The newest complete checkpoint, if any. */
  public Optional<Checkpoint> newestComplete() throws IOException {
    List<Checkpoint> all = listComplete();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** The complete checkpoint of {@code epoch}, if any. */
  public Optional<Checkpoint> find(int epoch) throws IOException {
    Path dir = new Path(root, dirName(epoch));
    return fs.exists(dir) && isComplete(dir)
        ? Optional.of(new Checkpoint(epoch, dir))
        : Optional.empty();
  }

  private boolean isComplete(Path dir) throws IOException {
    Path marker = new Path(dir, COMPLETE);
    if (!fs.exists(marker)) {
      return false;
    }
    JsonNode files;
    try (FSDataInputStream in = fs.open(marker)) {
      files = JSON.readTree(in).path("files");
    } catch (IOException e) {
      return false; // a marker cut short by a crash: not complete
    }
    for (var it = files.fields(); it.hasNext(); ) {
      var f = it.next();
      Path p = new Path(dir, f.getKey());
      if (!fs.exists(p) || fs.getFileStatus(p).getLen() != f.getValue().asLong()) {
        return false;
      }
    }
    return true;
  }

  /** Opens file {@code name} of a complete checkpoint. */
  public InputStream open(Checkpoint c, String name) throws IOException {
    return fs.open(new Path(c.dir(), name));
  }

  public boolean exists(Checkpoint c, String name) throws IOException {
    return fs.exists(new Path(c.dir(), name));
  }

  /**
   * Keeps the newest {@code keepLast} complete checkpoints plus every one whose epoch is a multiple
   * of {@code keepEvery} (0 = none); deletes the rest and any stale temporary directory. Returns
   * the epochs deleted.
   */
  public List<Integer> retain(int keepLast, int keepEvery) throws IOException {
    List<Checkpoint> all = listComplete();
    TreeSet<Integer> keep = new TreeSet<>();
    for (int i = Math.max(0, all.size() - keepLast); i < all.size(); i++) {
      keep.add(all.get(i).epoch());
    }
    List<Integer> deleted = new ArrayList<>();
    for (Checkpoint c : all) {
      boolean milestone = keepEvery > 0 && c.epoch() % keepEvery == 0;
      if (!keep.contains(c.epoch()) && !milestone) {
        fs.delete(c.dir(), true);
        deleted.add(c.epoch());
      }
    }
    for (FileStatus st : fs.listStatus(root)) {
      if (st.getPath().getName().startsWith(".tmp-")) {
        fs.delete(st.getPath(), true);
      }
    }
    return deleted;
  }

  /** Appends one JSON object as a line of {@code metrics.jsonl} (see {@link MetricsLog}). */
  public void appendMetrics(Map<String, ?> record) throws IOException {
    metrics.append(record);
  }

  /** Drops metric lines of epochs after {@code epoch} (a run resumed from an older checkpoint). */
  public void truncateMetricsAfter(int epoch) throws IOException {
    metrics.truncateAfter(epoch);
  }

  /** The metric lines in the order written (empty when none). */
  public List<String> readMetricLines() throws IOException {
    return metrics.lines();
  }
}
