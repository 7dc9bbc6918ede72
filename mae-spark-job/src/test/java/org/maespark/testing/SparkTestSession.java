package org.maespark.testing;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.maespark.command.SparkSessions;

/** The one local[2] session every Spark test of this module shares (Kryo + ND4J registrator). */
public final class SparkTestSession {
  private static SparkSession session;

  private SparkTestSession() {}

  public static synchronized SparkSession get() {
    if (session == null) {
      SparkConf conf =
          new SparkConf()
              .setMaster("local[2]")
              .set("spark.driver.host", "127.0.0.1")
              .set("spark.driver.bindAddress", "127.0.0.1")
              .set("spark.sql.shuffle.partitions", "4")
              .set("spark.default.parallelism", "2");
      session =
          SparkSession.builder()
              .config(SparkSessions.configure(conf, "mae-spark-tests"))
              .getOrCreate();
    }
    return session;
  }
}
