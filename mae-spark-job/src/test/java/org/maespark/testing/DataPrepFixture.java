package org.maespark.testing;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.maespark.conf.Settings;
import org.maespark.data.DataPrepConfig;
import org.maespark.data.DataPrepJob;

/** Runs the real data-prep job on an image tree, as a test fixture. */
public final class DataPrepFixture {
  private DataPrepFixture() {}

  /** {@code input} (train/CLASS/*.png, val/CLASS/*.png) -> dataset at {@code out}; its URI. */
  public static String run(
      SparkSession spark, Path input, Path out, int size, int patch, int channels) {
    DataPrepConfig cfg =
        DataPrepConfig.fromSettings(
            Settings.load(
                null,
                List.of(
                    "data.image_size=" + size,
                    "data.patch=" + patch,
                    "data.channels=" + channels,
                    "data.min_side=1")));
    new DataPrepJob(spark, cfg, Map.of())
        .run(input.toUri().toString(), out.toUri().toString(), true);
    return out.toUri().toString();
  }
}
