package org.maespark.train;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.maespark.conf.Settings;
import org.maespark.data.DataPrepConfig;
import org.maespark.data.ImagePipeline;

/**
 * The project's Fashion-MNIST sample ({@code samples/fmnist}, real labelled PNGs) as a dataset in
 * the data-prep layout, each image prepared by data-prep's own per-record pipeline ({@link
 * ImagePipeline}: decode, grey, resize, patchify). Used until data-prep's Spark job is available to
 * the tests of this module.
 */
final class FmnistSample {
  private FmnistSample() {}

  static Path root() {
    Path p = Path.of("..", "samples", "fmnist").toAbsolutePath().normalize();
    if (!Files.isDirectory(p.resolve("train"))) {
      throw new IllegalStateException("samples/fmnist not found at " + p);
    }
    return p;
  }

  /** Writes train (first {@code perClassTrain} per class) and val splits; returns the URI. */
  static String write(SparkSession spark, Path out, int perClassTrain, int perClassVal, int patch)
      throws Exception {
    DataPrepConfig cfg =
        DataPrepConfig.fromSettings(
            Settings.load(
                null, List.of("data.image_size=28", "data.patch=" + patch, "data.channels=1")));
    ImagePipeline pipe = new ImagePipeline(cfg);
    double[] stats = new double[3]; // sum, sum of squares, count (train pixels in [0, 1])
    List<Row> train = rows(pipe, root().resolve("train"), "train", perClassTrain, patch, stats);
    List<Row> val = rows(pipe, root().resolve("val"), "val", perClassVal, patch, null);
    spark
        .createDataFrame(train, TinyDataset.SCHEMA)
        .repartition(2)
        .write()
        .parquet(out.resolve("train").toString());
    spark
        .createDataFrame(val, TinyDataset.SCHEMA)
        .repartition(2)
        .write()
        .parquet(out.resolve("val").toString());
    double mean = stats[0] / stats[2];
    double std = Math.sqrt(stats[1] / stats[2] - mean * mean);
    List<String> classes = new ArrayList<>();
    try (Stream<Path> s = Files.list(root().resolve("train"))) {
      s.map(p -> "\"" + p.getFileName() + "\"").sorted().forEach(classes::add);
    }
    String manifest =
        String.format(
            "{\"format_version\": 1, \"source\": \"samples/fmnist\", \"patch\": %d, \"channels\": 1,"
                + " \"height\": 28, \"width\": 28, \"mean\": [%s], \"std\": [%s], \"classes\": [%s],"
                + " \"counts\": {\"train\": %d, \"val\": %d}}",
            patch, mean, std, String.join(", ", classes), train.size(), val.size());
    Files.writeString(out.resolve("manifest.json"), manifest, StandardCharsets.UTF_8);
    Files.writeString(out.resolve("_SUCCESS"), "");
    return out.toUri().toString();
  }

  private static List<Row> rows(
      ImagePipeline pipe, Path split, String name, int perClass, int patch, double[] stats)
      throws Exception {
    List<Row> rows = new ArrayList<>();
    List<Path> classDirs;
    try (Stream<Path> s = Files.list(split)) {
      classDirs = s.filter(Files::isDirectory).sorted().toList();
    }
    for (int label = 0; label < classDirs.size(); label++) {
      List<Path> files;
      try (Stream<Path> s = Files.list(classDirs.get(label))) {
        files = s.sorted().limit(perClass).toList();
      }
      for (Path f : files) {
        ImagePipeline.Prepared p = pipe.prepare(Files.readAllBytes(f));
        if (stats != null) {
          for (byte b : p.patches()) {
            double v = (b & 0xff) / 255.0;
            stats[0] += v;
            stats[1] += v * v;
            stats[2]++;
          }
        }
        String synset = classDirs.get(label).getFileName().toString();
        rows.add(
            RowFactory.create(
                name + "/" + synset + "/" + f.getFileName(),
                label,
                synset,
                28,
                28,
                p.origHeight(),
                p.origWidth(),
                patch,
                p.patches()));
      }
    }
    return rows;
  }
}
