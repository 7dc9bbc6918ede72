package org.maespark.train;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.maespark.data.RecordKryoRegistrator;

/**
 * The Spark session of a job. No master URL in job code: under {@code spark-submit} the master
 * comes from the submit; run directly (no {@code spark.master} set), Spark runs embedded with
 * {@code local[*]}. Kryo with ND4J's registrator is always on (INDArrays travel as raw buffers).
 */
public final class SparkSessions {
  /** ND4J's registrator (INDArrays as raw buffers) and records through Java serialization. */
  public static final String KRYO_REGISTRATORS =
      "org.nd4j.kryo.Nd4jRegistrator," + RecordKryoRegistrator.class.getName();

  private SparkSessions() {}

  /** Settings every job needs, on top of whatever the submit gave. */
  public static SparkConf configure(SparkConf conf, String appName) {
    conf.setIfMissing("spark.app.name", appName);
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    conf.set("spark.kryo.registrator", KRYO_REGISTRATORS);
    conf.setIfMissing("spark.kryoserializer.buffer.max", "1g");
    conf.setIfMissing("spark.ui.enabled", "false");
    return conf;
  }

  /**
   * The session for a job, embedded {@code local[*]} when no master was given. Closing it stops
   * Spark only if this call started it (a caller that already runs a session keeps it).
   */
  public static Job open(String appName) {
    boolean existed = SparkSession.getDefaultSession().isDefined();
    SparkSession s =
        SparkSession.builder().config(configure(new SparkConf(), appName)).getOrCreate();
    return new Job(s, !existed);
  }

  /** A session and whether closing it stops Spark. */
  public record Job(SparkSession spark, boolean owned) implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        spark.stop();
      }
    }
  }
}
