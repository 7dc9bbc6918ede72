package org.maespark.input;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.testing.DataPrepFixture;
import org.maespark.testing.SparkTestSession;

/**
 * {@code inspect --images} sees the pixels training sees: a file through {@link ImageInput} gives
 * exactly the model input its row in a data-prep dataset gives (evaluation's centre view), for
 * data-prep's awkward photo fixtures: an EXIF-rotated JPEG, an RGBA PNG named .JPEG and a grey
 * JPEG, with an RGB and a grey model.
 */
class ImageInputTest {
  static final Path PHOTOS =
      Path.of("..", "data-prep", "src", "test", "resources", "photos").toAbsolutePath().normalize();
  static final List<String> FIXTURES =
      List.of(
          "train/n00000002/n00000002_43.JPEG", // EXIF Orientation=6
          "train/n00000003/n00000003_42.JPEG", // RGBA PNG bytes
          "train/n00000006/n00000006_1.JPEG"); // grey JPEG

  @TempDir Path tmp;

  @Test
  void imageFilesGiveTheInputOfTheirDatasetRows() throws Exception {
    Path tree = tmp.resolve("tree");
    for (String f : FIXTURES) {
      Path to = tree.resolve(f);
      Files.createDirectories(to.getParent());
      Files.copy(PHOTOS.resolve(f), to);
    }
    Path val = tree.resolve("val/n00000002/v.JPEG");
    Files.createDirectories(val.getParent());
    Files.copy(PHOTOS.resolve(FIXTURES.get(0)), val);

    SparkSession spark = SparkTestSession.get();
    int size = 32;
    int patch = 8;
    int numPatches = (size / patch) * (size / patch);
    for (int channels : new int[] {3, 1}) {
      String uri =
          DataPrepFixture.run(spark, tree, tmp.resolve("ds" + channels), size, patch, channels);
      List<TrainRow> rows = TrainRows.rows(spark, uri, "train").collect();
      assertEquals(FIXTURES.size(), rows.size(), "every fixture is a row");
      double[] mean = new double[channels];
      double[] std = new double[channels];
      java.util.Arrays.fill(mean, 0.45);
      java.util.Arrays.fill(std, 0.225);
      Augmenter centre = new Augmenter(size, channels, numPatches, false, false, mean, std, 0);
      ImageInput input = new ImageInput(size, patch, channels, numPatches, mean, std);
      for (TrainRow r : rows) {
        assertTrue(FIXTURES.contains(r.key()), r.key());
        assertArrayEquals(
            centre.image(r, 0), input.normalised(tree.resolve(r.key())), r.key() + " " + channels);
      }
    }
  }
}
