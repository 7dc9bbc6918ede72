package org.maespark.data;

import org.apache.spark.sql.SparkSession;

/** One local[2] Spark session per test JVM, shared by every Spark test class; never stopped. */
final class SparkTestSession {
  private static SparkSession spark;

  private SparkTestSession() {}

  static synchronized SparkSession get() {
    if (spark == null) {
      spark =
          SparkSession.builder()
              .master("local[2]")
              .appName("data-prep-tests")
              .config("spark.ui.enabled", "false")
              .config("spark.sql.shuffle.partitions", "2")
              // Kryo as on the clusters (deploy/conf/mae-spark.conf), so what the job ships
              // between tasks is proven to survive it
              .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
              .config("spark.kryo.registrator", RecordKryoRegistrator.class.getName())
              // this machine's hostname is not loopback (surefire sets these too)
              .config("spark.driver.host", "127.0.0.1")
              .config("spark.driver.bindAddress", "127.0.0.1")
              .getOrCreate();
      spark.sparkContext().setLogLevel("WARN");
    }
    return spark;
  }
}
