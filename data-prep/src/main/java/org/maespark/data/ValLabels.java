package org.maespark.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Sources;
import us.hebi.matlab.mat.types.Struct;

/**
 * Synsets of the images directly under a split folder (ILSVRC2012's flat {@code val/}), by image id
 * (file name without extension), from either label source an ImageNet download ships:
 *
 * <ul>
 *   <li>{@code LOC_val_solution.csv} (the Kaggle copy): {@code ImageId,PredictionString}, the first
 *       synset of the prediction string.
 *   <li>the official devkit {@code ILSVRC2012_devkit_t12/}: {@code
 *       data/ILSVRC2012_validation_ground_truth.txt} holds one ILSVRC2012_ID per line (line n is
 *       {@code ILSVRC2012_val_<n, 8 digits>}) and {@code data/meta.mat} (MATLAB v5, struct array
 *       {@code synsets}) maps ILSVRC2012_ID to WNID. The MAT file is read with MFL (mfl-core), a
 *       maintained MAT-file library.
 * </ul>
 *
 * <p>{@code data.val_labels}: empty or {@code auto} = whichever of the two lies in the input root;
 * when both do, they must give every image the same synset, else the run is refused naming the
 * image and both files. A path ending in {@code .csv} = that CSV; any other path = a devkit folder.
 */
final class ValLabels {
  static final String CSV = "LOC_val_solution.csv";
  static final String DEVKIT = "ILSVRC2012_devkit_t12";
  static final String GROUND_TRUTH = "data/ILSVRC2012_validation_ground_truth.txt";
  static final String META = "data/meta.mat";

  /** A meta.mat is ~300 KB; anything far larger is not one and is not read into memory. */
  private static final long MAX_META_BYTES = 64L << 20;

  /**
   * Labels read from one or two sources.
   *
   * @param synsets image id -> synset; empty when no source exists
   * @param source the file(s) read, "" when none
   */
  record Loaded(Map<String, String> synsets, String source) {
    static final Loaded NONE = new Loaded(Map.of(), "");
  }

  private ValLabels() {}

  static Loaded load(Path root, String setting, Configuration hadoop) {
    try {
      if (!setting.isEmpty() && !setting.equals("auto")) {
        Path p = new Path(setting);
        FileSystem fs = p.getFileSystem(hadoop);
        if (!fs.exists(p)) {
          throw new IllegalArgumentException("data.val_labels file " + p + " does not exist");
        }
        return setting.endsWith(".csv") ? csv(fs, p) : devkit(fs, p);
      }
      FileSystem fs = root.getFileSystem(hadoop);
      Path csv = new Path(root, CSV);
      Path devkit = new Path(root, DEVKIT);
      Loaded fromCsv = fs.exists(csv) ? csv(fs, csv) : null;
      Loaded fromDevkit = fs.exists(devkit) ? devkit(fs, devkit) : null;
      if (fromCsv != null && fromDevkit != null) {
        requireAgreement(fromCsv, fromDevkit);
        return new Loaded(fromCsv.synsets(), fromCsv.source() + " = " + fromDevkit.source());
      }
      return fromCsv != null ? fromCsv : fromDevkit != null ? fromDevkit : Loaded.NONE;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read val labels of " + root, e);
    }
  }

  /** ImageId -> first synset of its PredictionString. */
  static Loaded csv(FileSystem fs, Path file) throws IOException {
    Map<String, String> map = new HashMap<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
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
    return new Loaded(map, file.toString());
  }

  /** The devkit folder: ground truth line n -> ILSVRC2012_val_000000nn, its ID -> WNID. */
  static Loaded devkit(FileSystem fs, Path dir) throws IOException {
    Path meta = new Path(dir, META);
    Path truth = new Path(dir, GROUND_TRUTH);
    for (Path p : List.of(meta, truth)) {
      if (!fs.exists(p)) {
        throw new IllegalArgumentException("devkit " + dir + " has no " + p.getName());
      }
    }
    Map<Integer, String> wnids = wnids(fs, meta);
    Map<String, String> map = new HashMap<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(fs.open(truth), StandardCharsets.UTF_8))) {
      int n = 0;
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        int id;
        try {
          id = Integer.parseInt(line.trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              truth + " line " + n + ": '" + line + "' is not an ILSVRC2012_ID");
        }
        String wnid = wnids.get(id);
        if (wnid == null) {
          throw new IllegalArgumentException(
              truth + " line " + n + ": ILSVRC2012_ID " + id + " is not in " + meta);
        }
        map.put(String.format("ILSVRC2012_val_%08d", n), wnid);
      }
    }
    return new Loaded(map, truth + " + " + meta);
  }

  /** ILSVRC2012_ID -> WNID of every entry of meta.mat's struct array {@code synsets}. */
  private static Map<Integer, String> wnids(FileSystem fs, Path meta) throws IOException {
    long size = fs.getFileStatus(meta).getLen();
    if (size > MAX_META_BYTES) {
      throw new IllegalArgumentException(meta + " is " + size + " bytes, not a devkit meta.mat");
    }
    byte[] bytes;
    try (InputStream in = fs.open(meta)) {
      bytes = in.readAllBytes();
    }
    Map<Integer, String> wnids = new HashMap<>();
    try (MatFile mat = Mat5.newReader(Sources.wrap(bytes)).readMat()) {
      Struct synsets = mat.getStruct("synsets");
      for (int i = 0; i < synsets.getNumElements(); i++) {
        int id = synsets.getMatrix("ILSVRC2012_ID", i).getInt(0);
        wnids.put(id, synsets.getChar("WNID", i).getString().trim());
      }
    } catch (IOException | RuntimeException e) {
      // MFL says what is wrong (no such variable or field, not a MAT file) but not where
      throw new IllegalArgumentException(
          meta
              + ": not an ILSVRC2012 devkit meta.mat (struct array 'synsets' with fields"
              + " ILSVRC2012_ID and WNID): "
              + e.getMessage(),
          e);
    }
    return wnids;
  }

  /** Both sources name the same images with the same synsets, or the run is refused. */
  private static void requireAgreement(Loaded a, Loaded b) {
    TreeSet<String> ids = new TreeSet<>(a.synsets().keySet());
    ids.addAll(b.synsets().keySet());
    List<String> bad = new ArrayList<>();
    for (String id : ids) {
      String x = a.synsets().get(id);
      String y = b.synsets().get(id);
      if (x == null || !x.equals(y)) {
        bad.add(id + " (" + x + " vs " + y + ")");
      }
    }
    if (!bad.isEmpty()) {
      throw new IllegalArgumentException(
          "val labels disagree on "
              + bad.size()
              + " image(s), first "
              + bad.get(0)
              + ": "
              + a.source()
              + " vs "
              + b.source()
              + " (set data.val_labels to the one to use)");
    }
  }
}
