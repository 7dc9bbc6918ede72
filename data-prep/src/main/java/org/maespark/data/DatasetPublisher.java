package org.maespark.data;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.maespark.command.OutputGuard;

/**
 * Makes a dataset appear complete or not at all. Everything is written under a hidden staging
 * folder next to the output (same filesystem), published with one rename, and {@code _SUCCESS} is
 * written last. On HDFS and local disks the rename is atomic; on object stores (s3a) it is a copy,
 * and there {@code _SUCCESS}, written after it, is what marks the dataset complete. Readers refuse
 * a dataset without {@code _SUCCESS}. An existing output is replaced only when asked.
 */
final class DatasetPublisher {
  static final String SUCCESS = "_SUCCESS";

  private final FileSystem fs;
  private final Path output;

  DatasetPublisher(Path output, Configuration conf) {
    this.output = output;
    try {
      this.fs = output.getFileSystem(conf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach the filesystem of " + output, e);
    }
  }

  /**
   * Refuses an existing output unless {@code overwrite}, and refuses outright anything there that
   * is not a data-prep output (its manifest or {@code _SUCCESS}, or an empty folder): replacing
   * deletes the old folder, and this tool deletes only what it wrote.
   */
  void checkTarget(boolean overwrite) {
    try {
      if (output.getParent() != null
          && fs.exists(output.getParent())
          && !fs.getFileStatus(output.getParent()).isDirectory()) {
        throw new IllegalArgumentException("output parent " + output.getParent() + " is a file");
      }
      if (requireDatasetOrAbsent() && !overwrite) {
        String what =
            fs.exists(new Path(output, SUCCESS))
                ? "a complete dataset"
                : fs.listStatus(output).length == 0
                    ? "an empty folder"
                    : "not a complete dataset (no _SUCCESS)";
        throw new IllegalArgumentException(
            "output " + output + " already exists (" + what + "); pass --overwrite to replace it");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check output " + output, e);
    }
  }

  /** True when a dataset (or an empty folder) is at the output, false when nothing is. */
  private boolean requireDatasetOrAbsent() {
    return OutputGuard.requireOwnedOrAbsent(
        fs,
        output,
        "data-prep dataset",
        "no " + DatasetManifest.FILE + " or " + SUCCESS,
        names -> names.contains(DatasetManifest.FILE) || names.contains(SUCCESS));
  }

  /** A fresh hidden staging folder beside the output ('.'-prefixed: Spark and Hadoop skip it). */
  Path createStaging() throws IOException {
    Path staging =
        new Path(output.getParent(), "." + output.getName() + ".staging-" + UUID.randomUUID());
    if (!fs.mkdirs(staging)) {
      throw new IOException("cannot create staging folder " + staging);
    }
    return staging;
  }

  /**
   * Moves {@code staging} to the output, replacing an old dataset, then writes _SUCCESS; refuses
   * (publishing nothing) a dataset without a usable image in one of its splits.
   */
  void publish(Path staging, DatasetManifest manifest, boolean overwrite) throws IOException {
    requireUsable(manifest);
    String digest = manifest.digest();
    Path old = null;
    if (fs.exists(output)) {
      if (!overwrite) {
        throw new IOException("output " + output + " appeared while the job ran; not replacing it");
      }
      requireDatasetOrAbsent(); // what is there now, not what was there when the job started
      old = new Path(output.getParent(), "." + output.getName() + ".replaced-" + UUID.randomUUID());
      // the old dataset stops looking complete before anything moves
      fs.delete(new Path(output, SUCCESS), false);
      rename(output, old);
    }
    rename(staging, output);
    try (OutputStream out = fs.create(new Path(output, SUCCESS), false)) {
      out.write((digest + "\n").getBytes(StandardCharsets.UTF_8));
    }
    if (old != null) {
      fs.delete(old, true);
    }
  }

  /**
   * A dataset none of whose files survived, or with a split that holds no row, would only fail
   * later in pretrain; it is refused here, naming what became of every file.
   */
  static void requireUsable(DatasetManifest m) {
    long rows = m.splits().values().stream().mapToLong(DatasetManifest.Split::rows).sum();
    String where =
        rows == 0
            ? ""
            : m.splits().entrySet().stream()
                .filter(e -> e.getValue().rows() == 0)
                .map(e -> " in split '" + e.getKey() + "'")
                .findFirst()
                .orElse(null);
    if (m.splits().isEmpty() || where != null) {
      StringBuilder stages = new StringBuilder();
      m.rejectsByStage()
          .forEach(
              (k, v) ->
                  stages.append(stages.length() == 0 ? "" : ", ").append(k).append(": ").append(v));
      throw new IllegalArgumentException(
          "no usable images"
              + (where == null ? "" : where)
              + " under "
              + m.source()
              + ": "
              + m.inputFiles()
              + " files, "
              + (rows == 0 ? "all rejected" : m.rejects() + " rejected")
              + " ("
              + (stages.length() == 0 ? "no image files found" : stages)
              + ")");
    }
  }

  /** Removes a staging folder after a failure (best effort; it is hidden either way). */
  void discard(Path staging) {
    try {
      fs.delete(staging, true);
    } catch (IOException e) {
      // the folder is hidden and named as staging: it never looks like a dataset
    }
  }

  private void rename(Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("rename " + from + " -> " + to + " failed");
    }
  }
}
