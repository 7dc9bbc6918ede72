package org.maespark.data;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

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

  /** Refuses an existing output unless {@code overwrite}; says whether it is a complete dataset. */
  void checkTarget(boolean overwrite) {
    try {
      if (fs.exists(output) && !overwrite) {
        String what =
            fs.exists(new Path(output, SUCCESS))
                ? "a complete dataset"
                : "not a complete dataset (no _SUCCESS)";
        throw new IllegalArgumentException(
            "output " + output + " already exists (" + what + "); pass --overwrite to replace it");
      }
      if (output.getParent() != null
          && fs.exists(output.getParent())
          && !fs.getFileStatus(output.getParent()).isDirectory()) {
        throw new IllegalArgumentException("output parent " + output.getParent() + " is a file");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check output " + output, e);
    }
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

  /** Moves {@code staging} to the output, replacing an old dataset, then writes _SUCCESS. */
  void publish(Path staging, String digest, boolean overwrite) throws IOException {
    Path old = null;
    if (fs.exists(output)) {
      if (!overwrite) {
        throw new IOException("output " + output + " appeared while the job ran; not replacing it");
      }
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
