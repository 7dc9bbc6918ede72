package org.maespark.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.maespark.data.RecordKryoRegistrator;
import scala.reflect.ClassTag$;

/** Every command's session runs with Kryo and records support; a given master is kept. */
class SparkSessionsTest {
  record Entry(String path, long size) implements java.io.Serializable {}

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(SerializerInstance ser, T value) {
    ByteBuffer b = ser.serialize(value, (scala.reflect.ClassTag<T>) ClassTag$.MODULE$.Any());
    return ser.deserialize(b, (scala.reflect.ClassTag<T>) ClassTag$.MODULE$.Any());
  }

  @Test
  void kryoCarriesRecords() {
    SparkConf conf = SparkSessions.configure(new SparkConf(false), "t");
    assertEquals("org.apache.spark.serializer.KryoSerializer", conf.get("spark.serializer"));
    // no ND4J on data-prep's classpath, so only the records registrator
    assertEquals(RecordKryoRegistrator.class.getName(), conf.get("spark.kryo.registrator"));
    assertEquals("local[*]", conf.get("spark.master")); // embedded when no master is given
    // training results (parameters and optimizer state) come back with the task's status
    assertEquals("128m", conf.get("spark.task.maxDirectResultSize"));
    SerializerInstance ser = new KryoSerializer(conf).newInstance();
    assertEquals(new Entry("a/b.png", 12), roundTrip(ser, new Entry("a/b.png", 12)));
  }

  @Test
  void aGivenMasterIsKept() {
    SparkConf conf = SparkSessions.configure(new SparkConf(false).setMaster("spark://h:7077"), "t");
    assertEquals("spark://h:7077", conf.get("spark.master"));
  }
}
