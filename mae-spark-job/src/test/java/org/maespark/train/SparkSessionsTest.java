package org.maespark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.reflect.ClassTag$;

/** Jobs run with Kryo, ND4J's registrator and records support, and those carry our types. */
class SparkSessionsTest {
  record Entry(String path, long size) implements java.io.Serializable {}

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(SerializerInstance ser, T value) {
    ByteBuffer b = ser.serialize(value, (scala.reflect.ClassTag<T>) ClassTag$.MODULE$.Any());
    return ser.deserialize(b, (scala.reflect.ClassTag<T>) ClassTag$.MODULE$.Any());
  }

  @Test
  void kryoCarriesBatchesRowsAndRecords() {
    SparkConf conf = SparkSessions.configure(new SparkConf(false), "t");
    assertEquals("org.apache.spark.serializer.KryoSerializer", conf.get("spark.serializer"));
    assertEquals(SparkSessions.KRYO_REGISTRATORS, conf.get("spark.kryo.registrator"));
    assertEquals("local[*]", conf.get("spark.master")); // embedded when no master is given
    SerializerInstance ser = new KryoSerializer(conf).newInstance();

    Augmenter a =
        new Augmenter(8, 3, 4, true, true, Augmenter.IMAGENET_MEAN, Augmenter.IMAGENET_STD, 1);
    MultiDataSet mds = a.batch(List.of(AugmenterTest.row(1), AugmenterTest.row(2)), 0);
    MultiDataSet back = roundTrip(ser, mds);
    assertEquals(mds.getFeatures(0), back.getFeatures(0));
    assertEquals(mds.getLabels(0), back.getLabels(0));

    TrainRow r = roundTrip(ser, AugmenterTest.row(7));
    assertEquals(7, r.index());
    assertArrayEquals(AugmenterTest.row(7).patches(), r.patches());

    assertEquals(new Entry("a/b.png", 12), roundTrip(ser, new Entry("a/b.png", 12)));
  }

  @Test
  void aGivenMasterIsKept() {
    SparkConf conf = SparkSessions.configure(new SparkConf(false).setMaster("spark://h:7077"), "t");
    assertEquals("spark://h:7077", conf.get("spark.master"));
  }
}
