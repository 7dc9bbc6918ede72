package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The input layouts: flat ILSVRC val with its solution file, class folders, unlabeled trees. */
class InputLayoutTest {
  private static final String[] SMALL = {"data.image_size=28", "data.patch=4", "data.channels=1"};

  @TempDir Path tmp;

  private final SparkSession spark = SparkTestSession.get();

  private static void put(Path src, Path dst) throws Exception {
    Files.createDirectories(dst.getParent());
    Files.copy(src, dst);
  }

  /** Key -> row of every split of the dataset at {@code out}. */
  private Map<String, Row> rows(Path out, String split) {
    return DatasetReader.open(spark, out.toString()).split(split).collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r));
  }

  @Test
  void flatValFolderIsLabelledFromLocValSolution() throws Exception {
    List<Path> sources = listTrain(3);
    Path in = tmp.resolve("ilsvrc");
    put(sources.get(0), in.resolve("train/n00000000/a.png"));
    put(sources.get(1), in.resolve("train/n00000001/b.png"));
    put(sources.get(2), in.resolve("val/ILSVRC2012_val_00000001.png"));
    put(sources.get(3), in.resolve("val/ILSVRC2012_val_00000002.png"));
    put(sources.get(4), in.resolve("val/ILSVRC2012_val_00000003.png"));
    Files.writeString(
        in.resolve("LOC_val_solution.csv"),
        "ImageId,PredictionString\n"
            + "ILSVRC2012_val_00000001,n00000001 1 2 3 4 n00000001 5 6 7 8\n"
            + "ILSVRC2012_val_00000002,n00000000 1 2 3 4\n");
    Path out = tmp.resolve("out");
    DatasetManifest m = DataPrepJobTest.prepare(spark, in, out, false, SMALL);
    assertEquals(List.of("n00000000", "n00000001"), m.classes());
    Map<String, Row> val = rows(out, "val");
    assertEquals(1, val.get("val/ILSVRC2012_val_00000001.png").getInt(1));
    assertEquals("n00000001", val.get("val/ILSVRC2012_val_00000001.png").getString(2));
    assertEquals(0, val.get("val/ILSVRC2012_val_00000002.png").getInt(1));
    Row reject = DatasetReader.open(spark, out.toString()).rejects().collectAsList().get(0);
    assertEquals("val/ILSVRC2012_val_00000003.png", reject.getString(0));
    assertEquals("label", reject.getString(2));
    assertEquals(5, m.inputFiles());
  }

  @Test
  void flatValFolderIsLabelledFromTheOfficialDevkitAndItsGapsAreReported() throws Exception {
    List<Path> sources = listTrain(3);
    Path in = tmp.resolve("ilsvrc-devkit");
    put(sources.get(0), in.resolve("train/n00000000/a.png"));
    put(sources.get(1), in.resolve("train/n00000001/b.png"));
    put(sources.get(2), in.resolve("val/ILSVRC2012_val_00000001.png"));
    put(sources.get(3), in.resolve("val/ILSVRC2012_val_00000002.png"));
    put(sources.get(4), in.resolve("val/ILSVRC2012_val_00000009.png")); // not in the devkit
    // IDs 3, 2, 1 = n00000001, n00000000, n00000002; val 3 has a label but no file
    ValLabelsTest.writeDevkit(in.resolve(ValLabels.DEVKIT), ValLabelsTest.META, List.of(3, 2, 1));
    Path out = tmp.resolve("devkit-out");
    DatasetManifest m = DataPrepJobTest.prepare(spark, in, out, false, SMALL);

    Map<String, Row> val = rows(out, "val");
    assertEquals("n00000001", val.get("val/ILSVRC2012_val_00000001.png").getString(2));
    assertEquals(1, val.get("val/ILSVRC2012_val_00000001.png").getInt(1));
    assertEquals(0, val.get("val/ILSVRC2012_val_00000002.png").getInt(1));
    List<Row> rejects = DatasetReader.open(spark, out.toString()).rejects().collectAsList();
    assertEquals(1, rejects.size());
    assertEquals("val/ILSVRC2012_val_00000009.png", rejects.get(0).getString(0));
    assertEquals("label", rejects.get(0).getString(2));
    assertEquals(5, m.inputFiles(), "rows + rejects = files listed");
    assertEquals(m.inputFiles(), m.rows("train") + m.rows("val") + m.rejects());

    DatasetManifest.LabelSource labels = m.valLabels();
    assertTrue(labels.source().contains("meta.mat"), labels.source());
    assertEquals(3, labels.entries());
    assertEquals(1, labels.withoutFile(), "the devkit's val 3 has no file");
    assertEquals(List.of("ILSVRC2012_val_00000003"), labels.withoutFileSample());
    try (var json = Files.newInputStream(out.resolve(DatasetManifest.FILE))) {
      assertEquals(labels, DatasetManifest.read(json).valLabels(), "written to manifest.json");
    }
  }

  @Test
  void classFoldersAndUnlabeledTrees() throws Exception {
    List<Path> sources = listTrain(3);
    Path classes = tmp.resolve("classes");
    put(sources.get(0), classes.resolve("zebra/1.png"));
    put(sources.get(1), classes.resolve("ant/2.png"));
    put(sources.get(2), classes.resolve("ant/deeper/3.png"));
    put(sources.get(3), classes.resolve("ant/notes.txt"));
    put(sources.get(4), classes.resolve(".hidden/4.png"));
    DatasetManifest m = DataPrepJobTest.prepare(spark, classes, tmp.resolve("c-out"), false, SMALL);
    assertEquals("classes", m.layout());
    assertEquals(List.of("ant", "zebra"), m.classes());
    Map<String, Row> train = rows(tmp.resolve("c-out"), "train");
    assertEquals(3, train.size());
    assertEquals(0, train.get("ant/deeper/3.png").getInt(1));
    assertEquals(1, train.get("zebra/1.png").getInt(1));
    assertEquals(4, m.inputFiles(), "hidden folder skipped, the .txt counted");
    assertEquals(Map.of("list", 1L), m.rejectsByStage());

    Path flat = tmp.resolve("flat");
    put(sources.get(0), flat.resolve("x.png"));
    put(sources.get(1), flat.resolve("sub/y.png"));
    DatasetManifest u = DataPrepJobTest.prepare(spark, flat, tmp.resolve("u-out"), false, SMALL);
    assertEquals("unlabeled", u.layout());
    assertEquals(List.of(), u.classes());
    Map<String, Row> rows = rows(tmp.resolve("u-out"), "train");
    assertEquals(2, rows.size());
    rows.values().forEach(r -> assertEquals(-1, r.getInt(1)));
    assertTrue(rows.containsKey("sub/y.png"));
  }

  /** Some real Fashion-MNIST files of classes 0..n. */
  private static List<Path> listTrain(int classes) throws Exception {
    List<Path> out = new java.util.ArrayList<>();
    for (int c = 0; c < classes; c++) {
      try (var s = Files.list(PhotoFixture.FMNIST.resolve(String.format("train/n%08d", c)))) {
        s.sorted().limit(2).forEach(out::add);
      }
    }
    return out;
  }
}
