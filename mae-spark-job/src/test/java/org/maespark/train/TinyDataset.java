package org.maespark.train;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A small dataset in the data-prep layout (Parquet splits, manifest.json, _SUCCESS) of two classes
 * of grey images: brightness ramps left-to-right (class 0) or top-to-bottom (class 1), with noise.
 */
final class TinyDataset {
  static final StructType SCHEMA =
      new StructType()
          .add("key", DataTypes.StringType)
          .add("label", DataTypes.IntegerType)
          .add("synset", DataTypes.StringType)
          .add("height", DataTypes.IntegerType)
          .add("width", DataTypes.IntegerType)
          .add("orig_height", DataTypes.IntegerType)
          .add("orig_width", DataTypes.IntegerType)
          .add("patch", DataTypes.IntegerType)
          .add("patches", DataTypes.BinaryType);

  private TinyDataset() {}

  static String write(SparkSession spark, Path dir, int train, int val, int size, int patch)
      throws Exception {
    split(spark, dir.resolve("train"), "train", train, size, patch, 1);
    split(spark, dir.resolve("val"), "val", val, size, patch, 2);
    String manifest =
        "{\"format_version\": 1, \"patch\": "
            + patch
            + ", \"channels\": 1, \"height\": "
            + size
            + ", \"width\": "
            + size
            + ", \"mean\": [0.5], \"std\": [0.25], \"classes\": [\"ramp_x\", \"ramp_y\"],"
            + " \"counts\": {\"train\": "
            + train
            + ", \"val\": "
            + val
            + "}}";
    Files.writeString(dir.resolve("manifest.json"), manifest, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("_SUCCESS"), "");
    return dir.toUri().toString();
  }

  private static void split(
      SparkSession spark, Path out, String name, int n, int size, int patch, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int label = i % 2;
      byte[] img = new byte[size * size];
      double phase = rng.nextDouble();
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          double t = (label == 0 ? x : y) / (double) (size - 1);
          double v = 255 * (0.15 + 0.7 * ((t + phase) % 1.0)) + 20 * (rng.nextDouble() - 0.5);
          img[y * size + x] = (byte) Math.max(0, Math.min(255, (int) v));
        }
      }
      rows.add(
          RowFactory.create(
              name + "/c" + label + "/img" + i + ".png",
              label,
              "c" + label,
              size,
              size,
              size,
              size,
              patch,
              patchify(img, size, patch)));
    }
    spark.createDataFrame(rows, SCHEMA).repartition(2).write().parquet(out.toString());
  }

  /** [H, W] grey -> [L, p, p, 1] in MAE patch order. */
  static byte[] patchify(byte[] img, int size, int p) {
    byte[] out = new byte[img.length];
    int cols = size / p;
    int i = 0;
    for (int l = 0; l < cols * cols; l++) {
      for (int y = 0; y < p; y++) {
        for (int x = 0; x < p; x++) {
          out[i++] = img[((l / cols) * p + y) * size + (l % cols) * p + x];
        }
      }
    }
    return out;
  }
}
