package org.maespark.data;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.maespark.command.SparkSessions;

/** One local[2] Spark session per test JVM, shared by every Spark test class; never stopped. */
final class SparkTestSession {
  private static SparkSession spark;

  private SparkTestSession() {}

  static synchronized SparkSession get() {
    if (spark == null) {
      // the jobs' own settings (Kryo as on the clusters, so what the job ships between tasks is
      // proven to survive it), on local[2]
      SparkConf conf =
          new SparkConf()
              .setMaster("local[2]")
              .set("spark.sql.shuffle.partitions", "2")
              // this machine's hostname is not loopback (surefire sets these too)
              .set("spark.driver.host", "127.0.0.1")
              .set("spark.driver.bindAddress", "127.0.0.1");
      spark =
          SparkSession.builder()
              .config(SparkSessions.configure(conf, "data-prep-tests"))
              .getOrCreate();
      spark.sparkContext().setLogLevel("WARN");
    }
    return spark;
  }
}
