package org.maespark.testing;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;

/**
 * A small dataset made by data-prep from an image tree of two classes of grey PNGs: brightness
 * ramps left-to-right (class 0) or top-to-bottom (class 1), with a random phase and noise.
 */
public final class TinyDataset {
  private TinyDataset() {}

  public static String write(SparkSession spark, Path dir, int train, int val, int size, int patch)
      throws Exception {
    Path tree = dir.resolve("images");
    images(tree.resolve("train"), train, size, 1);
    images(tree.resolve("val"), val, size, 2);
    return DataPrepFixture.run(spark, tree, dir.resolve("dataset"), size, patch, 1);
  }

  private static void images(Path split, int n, int size, long seed) throws Exception {
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      int label = i % 2;
      Path dir = split.resolve("c" + label);
      Files.createDirectories(dir);
      BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
      double phase = rng.nextDouble();
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          double t = (label == 0 ? x : y) / (double) (size - 1);
          double v = 255 * (0.15 + 0.7 * ((t + phase) % 1.0)) + 20 * (rng.nextDouble() - 0.5);
          int g = Math.max(0, Math.min(255, (int) v));
          img.getRaster().setSample(x, y, 0, g);
        }
      }
      ImageIO.write(img, "png", dir.resolve(String.format("img%04d.png", i)).toFile());
    }
  }
}
