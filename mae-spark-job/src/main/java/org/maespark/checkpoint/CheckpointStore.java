package org.maespark.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.maespark.command.OutputGuard;

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
 * checkpoint complete. The marker lists every file with its size and sha256 (hashed as it is
 * written); listings check the sizes, and {@link #verify} the digests before anything is loaded.
 */
public final class CheckpointStore {
  // The names of the files a checkpoint root and its epoch folders hold, all in one place.
  /** Marker written last into a checkpoint folder: every file, its size and its sha256. */
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

  /**
   * Test only: the epoch whose checkpoint write stops forever after its first file, so that a fault
   * test can kill the JVM in the middle of a write deterministically. Unset in any real run.
   */
  public static final String PAUSE_FOR_FAULT_TEST = "maespark.test.pause-checkpoint-epoch";

  /** Time suffix of a checkpoint renamed aside (UTC, sorts by time). */
  private static final DateTimeFormatter ASIDE_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

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

  /**
   * Refuses a root that holds something other than checkpoints (retention and rewrites delete
   * folders under it, and this tool deletes only what it wrote): the root must be absent, empty, or
   * hold {@code latest}, {@code metrics.jsonl} or an {@code epoch-NNNNN} folder.
   */
  public void requireOwnRoot() {
    OutputGuard.requireOwnedOrAbsent(
        fs,
        root,
        "checkpoint root",
        "no " + LATEST + ", " + METRICS + " or epoch-NNNNN folder",
        names ->
            names.contains(LATEST)
                || names.contains(METRICS)
                || names.stream()
                    .anyMatch(n -> NAME.matcher(n.replaceFirst("\\..*", "")).matches()));
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
    Map<String, Map<String, Object>> listed = new LinkedHashMap<>();
    for (Map.Entry<String, FileWriter> f : files.entrySet()) {
      if (f.getKey().equals(COMPLETE) || f.getKey().contains("/")) {
        throw new IllegalArgumentException("bad checkpoint file name '" + f.getKey() + "'");
      }
      Path p = new Path(tmp, f.getKey());
      // hashed while written: large files are not read back
      MessageDigest sha = sha256();
      try (OutputStream out = new DigestOutputStream(fs.create(p, false), sha)) {
        f.getValue().write(out);
      }
      listed.put(
          f.getKey(), Map.of("size", fs.getFileStatus(p).getLen(), "sha256", hex(sha.digest())));
      if (Integer.toString(epoch).equals(System.getProperty(PAUSE_FOR_FAULT_TEST))) {
        pauseForFaultTest(p);
      }
    }
    fs.delete(dir, true);
    if (!fs.rename(tmp, dir)) {
      throw new IOException("could not rename " + tmp + " to " + dir);
    }
    // The marker is the commit point: written last, after every file is in place.
    writeBytes(new Path(dir, COMPLETE), JSON.writeValueAsBytes(Map.of("files", listed)));
    writeBytes(new Path(root, LATEST), (name + "\n").getBytes(StandardCharsets.UTF_8));
    return new Checkpoint(epoch, dir);
  }

  private static void pauseForFaultTest(Path written) {
    System.err.println(
        "checkpoint write paused after " + written + " (" + PAUSE_FOR_FAULT_TEST + ")");
    System.err.flush();
    while (true) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("paused checkpoint write interrupted", e);
      }
    }
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

  /**
   * For {@code --resume auto}: the newest checkpoint whose files all match their sizes and digests.
   * Every newer one that does not (no marker, a mismatch, or a temporary folder a crash left) is
   * reported to {@code warn} in one line naming it and the reason, and renamed aside ({@code
   * epoch-NNNNN.corrupt-<time>} or {@code .incomplete-<time>}), which no reader lists, retention
   * never deletes and the next save cannot overwrite: it is kept for the user to inspect.
   */
  public Optional<Checkpoint> newestForResume(Consumer<String> warn) throws IOException {
    if (!fs.exists(root)) {
      return Optional.empty();
    }
    List<FileStatus> candidates = new ArrayList<>();
    for (FileStatus st : fs.listStatus(root)) {
      if (st.isDirectory() && epochOf(st.getPath().getName()) >= 0) {
        candidates.add(st);
      }
    }
    // newest first; of one epoch, the published folder before a temporary one
    candidates.sort(
        Comparator.comparingInt((FileStatus st) -> epochOf(st.getPath().getName()))
            .reversed()
            .thenComparing(st -> st.getPath().getName().startsWith(".tmp-")));
    for (FileStatus st : candidates) {
      Path dir = st.getPath();
      int epoch = epochOf(dir.getName());
      boolean temporary = dir.getName().startsWith(".tmp-");
      Optional<String> problem =
          temporary
              ? Optional.of(dir + ": its write did not finish (temporary folder)")
              : problem(dir, true);
      if (problem.isEmpty()) {
        return Optional.of(new Checkpoint(epoch, dir));
      }
      boolean unfinished = temporary || !fs.exists(new Path(dir, COMPLETE));
      String asideName =
          dirName(epoch)
              + (unfinished ? ".incomplete-" : ".corrupt-")
              + ASIDE_TIME.format(Instant.now());
      Path aside = new Path(root, asideName);
      for (int n = 2; fs.exists(aside); n++) { // two of one epoch set aside in one second
        aside = new Path(root, asideName + "-" + n);
      }
      if (!fs.rename(dir, aside)) {
        throw new IOException("could not rename " + dir + " aside to " + aside);
      }
      warn.accept(
          "--resume auto: skipping "
              + dir.getName()
              + ", newer than the checkpoint resumed from: "
              + problem.get()
              + "; kept as "
              + aside.getName());
    }
    return Optional.empty();
  }

  /** The epoch of a checkpoint folder or its temporary folder, -1 for any other name. */
  private static int epochOf(String name) {
    Matcher m = NAME.matcher(name.startsWith(".tmp-") ? name.substring(5) : name);
    return m.matches() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** The complete checkpoint of {@code epoch}, if any. */
  public Optional<Checkpoint> find(int epoch) throws IOException {
    Path dir = new Path(root, dirName(epoch));
    return fs.exists(dir) && isComplete(dir)
        ? Optional.of(new Checkpoint(epoch, dir))
        : Optional.empty();
  }

  private boolean isComplete(Path dir) throws IOException {
    return problem(dir, false).isEmpty();
  }

  /**
   * Refuses {@code c} unless every file {@code _COMPLETE} lists is there with its recorded size and
   * sha256 digest; the message names the file and what differs. Readers call this before they trust
   * a checkpoint: a digest catches what a size cannot (a flipped byte), also where no {@code .crc}
   * sidecar exists (object stores, copies that skip dot-files).
   */
  public void verify(Checkpoint c) throws IOException {
    Optional<String> p = problem(c.dir(), true);
    if (p.isPresent()) {
      throw new IOException(p.get());
    }
  }

  /**
   * Why {@code dir} is not a complete checkpoint, empty if it is: the marker, the sizes, and with
   * {@code digests} the sha256 of every listed file (reading them all).
   */
  public Optional<String> problem(Path dir, boolean digests) throws IOException {
    Path marker = new Path(dir, COMPLETE);
    if (!fs.exists(marker)) {
      return Optional.of(dir + ": no " + COMPLETE + " (its write did not finish)");
    }
    JsonNode files;
    try (FSDataInputStream in = fs.open(marker)) {
      files = JSON.readTree(in).path("files");
    } catch (IOException e) {
      // a marker cut short by a crash
      return Optional.of(
          marker + " is unreadable (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    if (!files.isObject() || files.isEmpty()) {
      return Optional.of(marker + " lists no files");
    }
    for (var it = files.fields(); it.hasNext(); ) {
      var f = it.next();
      Path p = new Path(dir, f.getKey());
      JsonNode size = f.getValue().path("size");
      JsonNode sha = f.getValue().path("sha256");
      if (!size.isNumber() || !sha.isTextual()) {
        return Optional.of(
            marker
                + " records no sha256 for "
                + f.getKey()
                + " (written by mae-spark before 0.1, which this version does not read)");
      }
      if (!fs.exists(p)) {
        return Optional.of(p + ": missing; " + COMPLETE + " lists it");
      }
      long len = fs.getFileStatus(p).getLen();
      if (len != size.asLong()) {
        return Optional.of(p + ": " + len + " bytes, " + COMPLETE + " records " + size.asLong());
      }
      if (digests) {
        String actual = sha256Of(p);
        if (!actual.equals(sha.asText())) {
          return Optional.of(
              p + ": sha256 " + actual + ", " + COMPLETE + " records " + sha.asText());
        }
      }
    }
    return Optional.empty();
  }

  private String sha256Of(Path p) throws IOException {
    MessageDigest sha = sha256();
    byte[] buf = new byte[1 << 20];
    try (InputStream in = fs.open(p)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
      }
    }
    return hex(sha.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
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
