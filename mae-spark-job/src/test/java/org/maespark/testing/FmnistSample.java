package org.maespark.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * A subset of the project's Fashion-MNIST sample ({@code samples/fmnist}: real labelled 28x28 grey
 * PNGs, 10 classes) turned into a dataset by the real data-prep job.
 */
public final class FmnistSample {
  private FmnistSample() {}

  public static Path root() {
    Path p = Path.of("..", "samples", "fmnist").toAbsolutePath().normalize();
    if (!Files.isDirectory(p.resolve("train"))) {
      throw new IllegalStateException("samples/fmnist not found at " + p);
    }
    return p;
  }

  /** The first {@code perClassTrain} / {@code perClassVal} images per class, patch {@code p}. */
  public static String write(
      SparkSession spark, Path out, int perClassTrain, int perClassVal, int patch)
      throws Exception {
    Path tree = out.resolve("images");
    copy(root().resolve("train"), tree.resolve("train"), perClassTrain);
    copy(root().resolve("val"), tree.resolve("val"), perClassVal);
    return DataPrepFixture.run(spark, tree, out.resolve("dataset"), 28, patch, 1);
  }

  private static void copy(Path from, Path to, int perClass) throws Exception {
    List<Path> classes;
    try (Stream<Path> s = Files.list(from)) {
      classes = s.filter(Files::isDirectory).sorted().toList();
    }
    for (Path c : classes) {
      Path dst = Files.createDirectories(to.resolve(c.getFileName()));
      try (Stream<Path> s = Files.list(c)) {
        for (Path f : s.sorted().limit(perClass).toList()) {
          Files.copy(f, dst.resolve(f.getFileName()));
        }
      }
    }
  }
}
