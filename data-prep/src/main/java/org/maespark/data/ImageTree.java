package org.maespark.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
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
 * directly under a split folder takes its synset from LOC_val_solution.csv (the flat val/ of the
 * Kaggle copy); {@code classes} = root/&lt;synset&gt;/file, all in split "train"; {@code unlabeled}
 * = every file under root, split "train", label -1. {@code auto} picks splits when a split folder
 * exists, classes when the root holds folders and no images, unlabeled otherwise.
 */
final class ImageTree {
  static final String VAL_SOLUTION = "LOC_val_solution.csv";

  /** The listed tree: one entry per file, the layout used and the splits present. */
  record Listing(JavaRDD<FileEntry> entries, String layout, List<String> splits) {}

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
    Map<String, String> valSynsets =
        layout.equals("splits") ? valSolution(fs, root, config) : Map.of();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<Map<String, String>> solution = jsc.broadcast(valSynsets);
    HadoopConf conf = new HadoopConf(hadoop);
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
                        f[0], Long.parseLong(f[1]), prefix, layout, extensions, solution.value()));
    return new Listing(entries, layout, splits);
  }

  private static List<String[]> listRecursively(String dir, HadoopConf conf) throws IOException {
    Path p = new Path(dir);
    FileSystem fs = p.getFileSystem(conf.get());
    List<String[]> out = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(p, true);
    while (it.hasNext()) {
      LocatedFileStatus st = it.next();
      out.add(new String[] {st.getPath().toString(), Long.toString(st.getLen())});
    }
    return out;
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
      Map<String, String> solution) {
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
          String id = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
          synset = solution.getOrDefault(id, "");
          if (synset.isEmpty() && !solution.isEmpty()) {
            reject = new Reject("label", "no entry for " + id + " in " + VAL_SOLUTION);
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

  /** ImageId -> first synset of its PredictionString, or empty when no solution file exists. */
  private static Map<String, String> valSolution(FileSystem fs, Path root, DataPrepConfig config) {
    Path file =
        config.valLabels().isEmpty() ? new Path(root, VAL_SOLUTION) : new Path(config.valLabels());
    Map<String, String> map = new HashMap<>();
    try {
      FileSystem f = file.getFileSystem(fs.getConf());
      if (!f.exists(file)) {
        if (!config.valLabels().isEmpty()) {
          throw new IllegalArgumentException("data.val_labels file " + file + " does not exist");
        }
        return map;
      }
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(f.open(file), StandardCharsets.UTF_8))) {
        String header = r.readLine();
        if (header == null || !header.startsWith("ImageId,PredictionString")) {
          throw new IllegalArgumentException(
              file + ": header '" + header + "', expected 'ImageId,PredictionString'");
        }
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          int comma = line.indexOf(',');
          if (comma > 0) {
            String[] pred = line.substring(comma + 1).trim().split("\\s+");
            map.put(line.substring(0, comma), pred[0]);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return map;
  }
}
