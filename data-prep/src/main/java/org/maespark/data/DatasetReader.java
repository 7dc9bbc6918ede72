package org.maespark.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The training side's way into a prepared dataset. Opening refuses a dataset without {@code
 * _SUCCESS} or with a format version this code does not read; {@link #require} refuses one whose
 * stored size, patch or channels differ from what the model needs; {@link #split} checks the
 * columns. Every refusal names the dataset, the field or column, the value and what was expected.
 *
 * <pre>{@code
 * DatasetReader data = DatasetReader.open(spark, "hdfs:///data/in1k-256").require(256, 16, 3);
 * Dataset<Row> train = data.split("train"); // key, label, synset, ..., patches
 * double[] mean = data.manifest().mean();
 * }</pre>
 */
public final class DatasetReader {
  private final SparkSession spark;
  private final Path root;
  private final DatasetManifest manifest;

  private DatasetReader(SparkSession spark, Path root, DatasetManifest manifest) {
    this.spark = spark;
    this.root = root;
    this.manifest = manifest;
  }

  /** Opens the dataset at {@code uri} (any Hadoop URI; a bare path is local). */
  public static DatasetReader open(SparkSession spark, String uri) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path root = Uris.qualify(uri, conf);
    return new DatasetReader(spark, root, readManifest(root, conf));
  }

  /** Reads and checks {@code manifest.json} without Spark (e.g. in a driver before the session). */
  public static DatasetManifest readManifest(String uri, Configuration conf) {
    return readManifest(Uris.qualify(uri, conf), conf);
  }

  private static DatasetManifest readManifest(Path root, Configuration conf) {
    try {
      FileSystem fs = root.getFileSystem(conf);
      if (!fs.exists(root)) {
        throw new IllegalArgumentException("dataset " + root + " does not exist");
      }
      if (!fs.exists(new Path(root, DatasetPublisher.SUCCESS))) {
        throw new IllegalArgumentException(
            "dataset "
                + root
                + " has no _SUCCESS: not a complete data-prep output (still being written, or"
                + " its run failed)");
      }
      DatasetManifest m;
      try (InputStream in = fs.open(new Path(root, DatasetManifest.FILE))) {
        m = DatasetManifest.read(in);
      }
      if (m.formatVersion() != DatasetManifest.FORMAT_VERSION) {
        throw mismatch(root, "format_version", m.formatVersion(), DatasetManifest.FORMAT_VERSION);
      }
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read manifest.json of dataset " + root, e);
    }
  }

  public DatasetManifest manifest() {
    return manifest;
  }

  /** Refuses a dataset whose stored images do not fit the model; returns this. */
  public DatasetReader require(int imageSize, int patch, int channels) {
    if (manifest.imageSize() != imageSize) {
      throw mismatch(root, "image_size", manifest.imageSize(), imageSize);
    }
    if (manifest.patch() != patch) {
      throw mismatch(root, "patch", manifest.patch(), patch);
    }
    if (manifest.channels() != channels) {
      throw mismatch(root, "channels", manifest.channels(), channels);
    }
    return this;
  }

  /**
   * Rows of one split with the columns of {@link DatasetSchema#ROWS} ({@code key, label, synset,
   * height, width, orig_height, orig_width, patch, patches}).
   */
  public Dataset<Row> split(String name) {
    DatasetManifest.Split s = manifest.splits().get(name);
    if (s == null) {
      throw new IllegalArgumentException(
          "dataset " + root + " has no split '" + name + "'; it has " + manifest.splits().keySet());
    }
    Path dir = new Path(root, name);
    String[] files =
        s.shards().stream().map(f -> new Path(dir, f.file()).toString()).toArray(String[]::new);
    if (files.length == 0) {
      return spark.createDataFrame(java.util.List.of(), DatasetSchema.ROWS);
    }
    Dataset<Row> rows = spark.read().parquet(files);
    checkColumns(rows.schema(), name);
    return rows.select(
        Arrays.stream(DatasetSchema.ROWS.fieldNames())
            .map(org.apache.spark.sql.functions::col)
            .toArray(org.apache.spark.sql.Column[]::new));
  }

  /** The rejects table: path, split, stage, reason. */
  public Dataset<Row> rejects() {
    return spark.read().parquet(new Path(root, "rejects").toString());
  }

  private void checkColumns(StructType actual, String split) {
    for (StructField want : DatasetSchema.ROWS.fields()) {
      int i = Arrays.asList(actual.fieldNames()).indexOf(want.name());
      if (i < 0) {
        throw new IllegalArgumentException(
            "dataset " + root + " split " + split + ": column '" + want.name() + "' is missing");
      }
      StructField got = actual.fields()[i];
      if (!got.dataType().equals(want.dataType())) {
        throw new IllegalArgumentException(
            "dataset "
                + root
                + " split "
                + split
                + ": column '"
                + want.name()
                + "' has type "
                + got.dataType().simpleString()
                + ", expected "
                + want.dataType().simpleString());
      }
    }
  }

  private static IllegalArgumentException mismatch(
      Path root, String field, Object got, Object want) {
    return new IllegalArgumentException(
        "dataset "
            + root
            + ": manifest.json field '"
            + field
            + "' = "
            + got
            + ", expected "
            + want);
  }
}
