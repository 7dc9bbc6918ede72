package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Struct;

/** The two label sources of a flat val/ folder: Kaggle's CSV and the official devkit. */
class ValLabelsTest {
  /**
   * As in the real meta.mat: the 1000 leaf classes carry ILSVRC2012_ID 1..1000 (here 1..3), the
   * WordNet ancestors after them, and IDs are not in WNID order.
   */
  static final Map<Integer, String> META =
      orderedMap(1, "n00000002", 2, "n00000000", 3, "n00000001", 4, "n09999999");

  @TempDir Path tmp;

  private final Configuration hadoop = new Configuration();

  /**
   * Writes {@code dir/data/meta.mat} (struct array synsets with ILSVRC2012_ID, WNID and, as the
   * real one, words) and the ground truth, one ILSVRC2012_ID per line for val images 1, 2, ...
   */
  static Path writeDevkit(Path dir, Map<Integer, String> meta, List<Integer> truth)
      throws Exception {
    Files.createDirectories(dir.resolve("data"));
    Struct synsets = Mat5.newStruct(meta.size(), 1);
    int i = 0;
    for (Map.Entry<Integer, String> e : meta.entrySet()) {
      synsets.set("ILSVRC2012_ID", i, Mat5.newScalar(e.getKey()));
      synsets.set("WNID", i, Mat5.newString(e.getValue()));
      synsets.set("words", i, Mat5.newString("class " + e.getValue()));
      i++;
    }
    try (MatFile mat = Mat5.newMatFile().addArray("synsets", synsets)) {
      Mat5.writeToFile(mat, dir.resolve(ValLabels.META).toFile());
    }
    StringBuilder gt = new StringBuilder();
    truth.forEach(id -> gt.append(id).append('\n'));
    Files.writeString(dir.resolve(ValLabels.GROUND_TRUTH), gt);
    return dir;
  }

  static String csv(Map<String, String> labels) {
    StringBuilder s = new StringBuilder("ImageId,PredictionString\n");
    labels.forEach((id, syn) -> s.append(id).append(',').append(syn).append(" 1 2 3 4\n"));
    return s.toString();
  }

  @Test
  void devkitLabelsEqualTheCsvForTheSameFiles() throws Exception {
    Path root = tmp.resolve("agree");
    writeDevkit(root.resolve(ValLabels.DEVKIT), META, List.of(3, 1, 1, 2));
    Map<String, String> expected =
        orderedMap(
            "ILSVRC2012_val_00000001", "n00000001",
            "ILSVRC2012_val_00000002", "n00000002",
            "ILSVRC2012_val_00000003", "n00000002",
            "ILSVRC2012_val_00000004", "n00000000");
    Files.writeString(root.resolve(ValLabels.CSV), csv(expected));

    String devkit = root.resolve(ValLabels.DEVKIT).toString();
    String csv = root.resolve(ValLabels.CSV).toString();
    assertEquals(expected, ValLabels.load(hdfsPath(root), devkit, hadoop).synsets());
    assertEquals(expected, ValLabels.load(hdfsPath(root), csv, hadoop).synsets());
    ValLabels.Loaded both = ValLabels.load(hdfsPath(root), "auto", hadoop);
    assertEquals(expected, both.synsets());
    assertTrue(both.source().contains(ValLabels.CSV), both.source());
    assertTrue(both.source().contains("meta.mat"), both.source());
  }

  @Test
  void devkitAndCsvThatDisagreeAreRefusedNamingTheImageAndTheFiles() throws Exception {
    Path root = tmp.resolve("disagree");
    writeDevkit(root.resolve(ValLabels.DEVKIT), META, List.of(3, 1));
    Files.writeString(
        root.resolve(ValLabels.CSV),
        csv(
            orderedMap(
                "ILSVRC2012_val_00000001", "n00000001",
                "ILSVRC2012_val_00000002", "n00000000")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ValLabels.load(hdfsPath(root), "", hadoop));
    assertTrue(e.getMessage().contains("ILSVRC2012_val_00000002"), e.getMessage());
    assertTrue(e.getMessage().contains(ValLabels.CSV), e.getMessage());
    assertTrue(e.getMessage().contains("ILSVRC2012_validation_ground_truth.txt"), e.getMessage());
  }

  @Test
  void aBrokenDevkitIsRefusedNamingTheFileAndLine() throws Exception {
    Path dir = writeDevkit(tmp.resolve("bad-id"), META, List.of(1, 7));
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> load(dir));
    assertTrue(unknown.getMessage().contains("ground_truth.txt line 2"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains("ILSVRC2012_ID 7"), unknown.getMessage());

    Files.writeString(dir.resolve(ValLabels.GROUND_TRUTH), "1\nn00000000\n");
    IllegalArgumentException text = assertThrows(IllegalArgumentException.class, () -> load(dir));
    assertTrue(text.getMessage().contains("ground_truth.txt line 2"), text.getMessage());

    Files.writeString(dir.resolve(ValLabels.META), "not a MAT file");
    IllegalArgumentException meta = assertThrows(IllegalArgumentException.class, () -> load(dir));
    assertTrue(meta.getMessage().contains("meta.mat"), meta.getMessage());

    Path noMeta = tmp.resolve("no-meta");
    Files.createDirectories(noMeta.resolve("data"));
    Files.writeString(noMeta.resolve(ValLabels.GROUND_TRUTH), "1\n");
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> load(noMeta));
    assertTrue(missing.getMessage().contains("meta.mat"), missing.getMessage());

    Path wrongStruct = tmp.resolve("wrong-struct");
    Files.createDirectories(wrongStruct.resolve("data"));
    try (MatFile mat = Mat5.newMatFile().addArray("classes", Mat5.newScalar(1))) {
      Mat5.writeToFile(mat, wrongStruct.resolve(ValLabels.META).toFile());
    }
    Files.writeString(wrongStruct.resolve(ValLabels.GROUND_TRUTH), "1\n");
    IllegalArgumentException struct =
        assertThrows(IllegalArgumentException.class, () -> load(wrongStruct));
    assertTrue(struct.getMessage().contains("synsets"), struct.getMessage());
  }

  @Test
  void aNamedSourceThatDoesNotExistIsRefused() {
    String missing = tmp.resolve("nowhere/LOC_val_solution.csv").toString();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ValLabels.load(hdfsPath(tmp), missing, hadoop));
    assertTrue(e.getMessage().contains(missing), e.getMessage());
    assertEquals(ValLabels.Loaded.NONE, ValLabels.load(hdfsPath(tmp), "auto", hadoop));
  }

  private ValLabels.Loaded load(Path devkit) {
    return ValLabels.load(hdfsPath(tmp), devkit.toString(), hadoop);
  }

  private static org.apache.hadoop.fs.Path hdfsPath(Path p) {
    return new org.apache.hadoop.fs.Path(p.toUri());
  }

  @SuppressWarnings("unchecked")
  private static <K, V> Map<K, V> orderedMap(Object... kv) {
    Map<K, V> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((K) kv[i], (V) kv[i + 1]);
    }
    return m;
  }
}
