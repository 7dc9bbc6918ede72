package org.maespark.input;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.maespark.data.DatasetReader;

/**
 * One split of a data-prep dataset (read through data-prep's {@code DatasetReader}, which checks
 * the manifest, {@code _SUCCESS} and the columns) as {@link TrainRow}s. The row identity that seeds
 * crops, masks and the shuffle is a 64-bit hash of the row's {@code key} (its path), so it does not
 * depend on how files are listed or partitioned.
 */
public final class TrainRows {
  private TrainRows() {}

  /** Rows of {@code split} ("train" / "val") under the dataset root. */
  public static JavaRDD<TrainRow> rows(SparkSession spark, String datasetUri, String split) {
    return DatasetReader.open(spark, datasetUri)
        .split(split)
        .select("key", "label", "height", "width", "patch", "patches")
        .javaRDD()
        .map(TrainRows::toRow);
  }

  static TrainRow toRow(Row r) {
    String key = r.getString(0);
    return new TrainRow(
        rowId(key),
        key,
        r.isNullAt(1) ? -1 : r.getInt(1),
        r.getInt(2),
        r.getInt(3),
        r.getInt(4),
        (byte[]) r.get(5));
  }

  /** Stable 64-bit identity of a row from its key. */
  public static long rowId(String key) {
    long h = 0;
    for (int i = 0; i < key.length(); i++) {
      h = Seeds.mix(h, key.charAt(i));
    }
    return Seeds.mix(h, key.length());
  }
}
