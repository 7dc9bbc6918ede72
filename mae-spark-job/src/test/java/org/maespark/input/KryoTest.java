package org.maespark.input;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.maespark.command.SparkSessions;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.reflect.ClassTag$;

/** The jobs' session (Kryo with ND4J's registrator here) carries training batches and rows. */
class KryoTest {
  @SuppressWarnings("unchecked")
  static <T> T roundTrip(SerializerInstance ser, T value) {
    ByteBuffer b = ser.serialize(value, (scala.reflect.ClassTag<T>) ClassTag$.MODULE$.Any());
    return ser.deserialize(b, (scala.reflect.ClassTag<T>) ClassTag$.MODULE$.Any());
  }

  @Test
  void kryoCarriesBatchesAndRows() {
    SparkConf conf = SparkSessions.configure(new SparkConf(false), "t");
    assertEquals(
        SparkSessions.NDARRAY_REGISTRATOR + ",org.maespark.data.RecordKryoRegistrator",
        conf.get("spark.kryo.registrator"));
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
  }
}
