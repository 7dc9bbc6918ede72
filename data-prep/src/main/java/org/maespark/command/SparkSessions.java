package org.maespark.command;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.maespark.data.RecordKryoRegistrator;

/**
 * The Spark session of every command (data-prep, pretrain, evaluate). No master URL in job code:
 * under {@code spark-submit} the master comes from the submit; run directly (no {@code
 * spark.master} set), Spark runs embedded with {@code local[*]}. Kryo is always on, with the same
 * registrators as {@code deploy/conf/mae-spark.conf}: records through Java serialization, and
 * ND4J's (INDArrays as raw bytes) wherever the training module is on the classpath, i.e. in the
 * application jar but not in data-prep's own tests, which have no DL4J.
 */
public final class SparkSessions {
  /**
   * The training module's Kryo registrator (ND4J's registrations, INDArrays as raw bytes in bulk),
   * named here because data-prep depends on neither the training module nor ND4J.
   */
  public static final String NDARRAY_REGISTRATOR = "org.maespark.train.NdArrayKryoRegistrator";

  /** The registrators every session uses on this classpath, comma-separated as Spark wants. */
  public static final String KRYO_REGISTRATORS = registrators();

  private SparkSessions() {}

  /** Settings every job needs, on top of whatever the submit gave. */
  public static SparkConf configure(SparkConf conf, String appName) {
    conf.setIfMissing("spark.app.name", appName);
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    conf.set("spark.kryo.registrator", KRYO_REGISTRATORS);
    // training results are whole parameter + optimizer-state vectors (deploy/conf/mae-spark.conf)
    conf.setIfMissing("spark.kryoserializer.buffer.max", "2047m");
    conf.setIfMissing("spark.driver.maxResultSize", "0");
    // a result up to Spark's RPC message size (128 MiB) comes back with the task's status instead
    // of through the block manager (put, then fetched by the driver: ~25 ms a round for fmnist-28)
    conf.setIfMissing("spark.task.maxDirectResultSize", "128m");
    conf.setIfMissing("spark.ui.enabled", "false");
    return conf;
  }

  /**
   * The session for a job, embedded {@code local[*]} when no master was given. Closing it stops
   * Spark only if this call started it (a caller that already runs a session keeps it).
   */
  public static Job open(String appName) {
    return open(new SparkConf(), appName);
  }

  /**
   * As {@link #open(String)}, on top of {@code conf} (e.g. a master chosen on the command line).
   */
  public static Job open(SparkConf conf, String appName) {
    boolean existed = SparkSession.getDefaultSession().isDefined();
    SparkSession s = SparkSession.builder().config(configure(conf, appName)).getOrCreate();
    return new Job(s, !existed);
  }

  private static String registrators() {
    List<String> names = new ArrayList<>();
    try {
      Class.forName(NDARRAY_REGISTRATOR, false, SparkSessions.class.getClassLoader());
      names.add(NDARRAY_REGISTRATOR);
    } catch (ClassNotFoundException e) {
      // data-prep on its own: no INDArrays to carry
    }
    names.add(RecordKryoRegistrator.class.getName());
    return String.join(",", names);
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
