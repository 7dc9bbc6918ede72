package org.maespark.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * Lists an image tree in parallel and assigns every file its split and synset.
 *
 * <p>The driver lists only the root and the split folders; the folders below (the classes: 1000 on
 * ImageNet) are listed recursively by Spark tasks, so a 1.28M-file tree never goes through the
 * driver one listing at a time. (Spark's binaryFile source lists the same way but silently drops
 * zero-byte files, and every file must be accounted for.) Names starting with '.' or '_' are
 * hidden, as in Hadoop and Spark.
 *
 * <p>Layouts: {@code splits} = root/&lt;split&gt;/&lt;synset&gt;/file (ILSVRC2012), where a file
 * directly under a split folder takes its synset from a {@link ValLabels} source (the flat val/:
 * LOC_val_solution.csv of the Kaggle copy or the official devkit); {@code classes} =
 * root/&lt;synset&gt;/file, all in split "train"; {@code unlabeled} = every file under root, split
 * "train", label -1. {@code auto} picks splits when a split folder exists, classes when the root
 * holds folders and no images, unlabeled otherwise.
 */
final class ImageTree {
  /** How many image ids without a file the manifest names (it counts them all). */
  static final int UNMATCHED_SAMPLE = 10;

  /**
   * The listed tree: one entry per file, the layout used, the splits present, and where the flat
   * files' labels came from (null when no label source was read).
   */
  record Listing(
      JavaRDD<FileEntry> entries,
      String layout,
      List<String> splits,
      DatasetManifest.LabelSource valLabels) {}

  private ImageTree() {}

  static Listing list(SparkSession spark, Path root, DataPrepConfig config) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    FileSystem fs;
    List<FileStatus> top;
    try {
      fs = root.getFileSystem(hadoop);
      top = visible(fs.listStatus(root));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list input " + root, e);
    }
    String layout = resolveLayout(config, top);
    List<String> splits = new ArrayList<>();
    List<FileStatus> level = new ArrayList<>(); // what the driver lists itself
    if (layout.equals("splits")) {
      for (String s : config.splits()) {
        for (FileStatus st : top) {
          if (st.isDirectory() && st.getPath().getName().equals(s)) {
            splits.add(s);
            try {
              level.addAll(visible(fs.listStatus(st.getPath())));
            } catch (IOException e) {
              throw new UncheckedIOException("cannot list " + st.getPath(), e);
            }
          }
        }
      }
      if (splits.isEmpty()) {
        throw new IllegalArgumentException(
            "input " + root + " has none of the split folders " + config.splits());
      }
    } else {
      splits.add("train");
      level.addAll(top);
    }
    List<String[]> files = new ArrayList<>(); // [path, length] found by the driver
    List<String> dirs = new ArrayList<>(); // listed recursively by tasks
    for (FileStatus st : level) {
      if (st.isDirectory()) {
        dirs.add(st.getPath().toString());
      } else {
        files.add(new String[] {st.getPath().toString(), Long.toString(st.getLen())});
      }
    }
    ValLabels.Loaded labels =
        layout.equals("splits")
            ? ValLabels.load(root, config.valLabels(), hadoop)
            : ValLabels.Loaded.NONE;
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<Map<String, String>> solution = jsc.broadcast(labels.synsets());
    String labelSource = labels.source();
    Broadcast<HadoopConf> conf = jsc.broadcast(new HadoopConf(hadoop));
    String prefix = root.toString().endsWith("/") ? root.toString() : root + "/";
    List<String> extensions = config.extensions();
    int slices = Math.max(1, Math.min(dirs.size(), jsc.defaultParallelism() * 4));
    JavaRDD<String[]> listed =
        jsc.parallelize(dirs, slices).flatMap(d -> listRecursively(d, conf).iterator());
    JavaRDD<FileEntry> entries =
        listed
            .union(jsc.parallelize(files, 1))
            .filter(f -> !hidden(f[0].substring(prefix.length())))
            .map(
                f ->
                    entry(
                        f[0],
                        Long.parseLong(f[1]),
                        prefix,
                        layout,
                        extensions,
                        solution.value(),
                        labelSource));
    return new Listing(entries, layout, splits, report(labels, files));
  }

  /**
   * What the label source names beyond the files: the flat files are exactly those the driver
   * listed directly under the split folders, so no Spark pass is needed to find ids without one.
   */
  private static DatasetManifest.LabelSource report(ValLabels.Loaded labels, List<String[]> flat) {
    if (labels.source().isEmpty()) {
      return null;
    }
    Set<String> ids = new HashSet<>();
    for (String[] f : flat) {
      ids.add(imageId(new Path(f[0]).getName()));
    }
    List<String> unmatched =
        labels.synsets().keySet().stream().filter(id -> !ids.contains(id)).sorted().toList();
    return new DatasetManifest.LabelSource(
        labels.source(),
        labels.synsets().size(),
        unmatched.size(),
        unmatched.subList(0, Math.min(UNMATCHED_SAMPLE, unmatched.size())));
  }

  /** The id a label source knows a flat file by: its name without the extension. */
  static String imageId(String name) {
    return name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
  }

  private static List<String[]> listRecursively(String dir, Broadcast<HadoopConf> conf)
      throws IOException {
    Path p = new Path(dir);
    List<String[]> out = new ArrayList<>();
    walk(p.getFileSystem(conf.value().get()), p, out);
    return out;
  }

  /**
   * Plain FileStatus listings, not {@code FileSystem.listFiles}: that one builds a
   * LocatedFileStatus per file, which on the local filesystem (without Hadoop's native library)
   * forks {@code ls -ld} to read the file's permissions: that fork took 42% of the executor's
   * samples on the 1,417-file photo tree, and its CPU is the child's, so the job's CPU time did not
   * even show it. Hidden folders are not entered; their files would be filtered out anyway.
   */
  private static void walk(FileSystem fs, Path dir, List<String[]> out) throws IOException {
    RemoteIterator<FileStatus> it = fs.listStatusIterator(dir);
    while (it.hasNext()) {
      FileStatus st = it.next();
      if (!st.isDirectory()) {
        out.add(new String[] {st.getPath().toString(), Long.toString(st.getLen())});
      } else if (!hidden(st.getPath().getName())) {
        walk(fs, st.getPath(), out);
      }
    }
  }

  private static List<FileStatus> visible(FileStatus[] list) {
    return Arrays.stream(list).filter(st -> !hidden(st.getPath().getName())).toList();
  }

  /** Hadoop's and Spark's rule: a path component starting with '.' or '_' is not data. */
  static boolean hidden(String relative) {
    for (String part : relative.split("/")) {
      if (part.startsWith(".") || part.startsWith("_")) {
        return true;
      }
    }
    return false;
  }

  static String resolveLayout(DataPrepConfig config, List<FileStatus> top) {
    if (!config.layout().equals("auto")) {
      return config.layout();
    }
    boolean hasSplit =
        top.stream()
            .anyMatch(st -> st.isDirectory() && config.splits().contains(st.getPath().getName()));
    if (hasSplit) {
      return "splits";
    }
    boolean anyDir = top.stream().anyMatch(FileStatus::isDirectory);
    boolean imageAtTop =
        top.stream()
            .anyMatch(
                st -> st.isFile() && isImageName(st.getPath().getName(), config.extensions()));
    return anyDir && !imageAtTop ? "classes" : "unlabeled";
  }

  static FileEntry entry(
      String path,
      long length,
      String prefix,
      String layout,
      List<String> exts,
      Map<String, String> solution,
      String labelSource) {
    if (!path.startsWith(prefix)) {
      throw new IllegalStateException("listed file " + path + " is not under input root " + prefix);
    }
    String key = path.substring(prefix.length());
    String[] parts = key.split("/");
    String name = parts[parts.length - 1];
    String split;
    String synset;
    Reject reject = null;
    switch (layout) {
      case "splits" -> {
        split = parts[0];
        if (parts.length >= 3) {
          synset = parts[1];
        } else {
          String id = imageId(name);
          synset = solution.getOrDefault(id, "");
          if (synset.isEmpty() && !solution.isEmpty()) {
            reject = new Reject("label", "no entry for " + id + " in " + labelSource);
          }
        }
      }
      case "classes" -> {
        split = "train";
        synset = parts.length >= 2 ? parts[0] : "";
        if (parts.length < 2) {
          reject = new Reject("label", "file is not inside a class folder");
        }
      }
      default -> {
        split = "train";
        synset = "";
      }
    }
    if (!isImageName(name, exts)) {
      reject = new Reject("list", "file name extension is not one of data.extensions=" + exts);
    }
    return new FileEntry(path, key, length, split, synset, reject);
  }

  static boolean isImageName(String name, List<String> exts) {
    String n = name.toLowerCase(Locale.ROOT);
    return exts.stream().anyMatch(e -> n.endsWith("." + e));
  }
}
