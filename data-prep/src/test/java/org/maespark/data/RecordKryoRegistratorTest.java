package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

/** Records through Spark's Kryo: flat ones field by field, the others by Java serialization. */
class RecordKryoRegistratorTest {
  record Mixed(String name, List<String> tags, double weight, boolean on)
      implements java.io.Serializable {}

  record Primitives(double d, float f, boolean b, short s, byte y, char c, Reject nested) {}

  private final SparkConf conf =
      new SparkConf().set("spark.kryo.registrator", RecordKryoRegistrator.class.getName());

  @SuppressWarnings("unchecked")
  private <T> T roundTrip(T value) {
    SerializerInstance s = new KryoSerializer(conf).newInstance();
    ByteBuffer b = s.serialize(value, (scala.reflect.ClassTag<T>) ClassTag$.MODULE$.Any());
    return s.deserialize(b, (scala.reflect.ClassTag<T>) ClassTag$.MODULE$.Any());
  }

  @Test
  void flatRecordsGoComponentByComponentOthersThroughJavaSerialization() {
    Kryo kryo = new KryoSerializer(conf).newKryo();
    assertInstanceOf(
        RecordKryoRegistrator.FlatRecordSerializer.class, kryo.getSerializer(FileEntry.class));
    assertInstanceOf(
        RecordKryoRegistrator.FlatRecordSerializer.class, kryo.getSerializer(Outcome.class));
    assertInstanceOf(
        RecordKryoRegistrator.FlatRecordSerializer.class, kryo.getSerializer(Primitives.class));
    assertInstanceOf(JavaSerializer.class, kryo.getSerializer(Mixed.class));
  }

  @Test
  void everyComponentSurvivesIncludingNulls() {
    FileEntry ok =
        new FileEntry("file:/t/train/n1/a.JPEG", "train/n1/a.JPEG", 1L << 33, "train", "", null);
    assertEquals(ok, roundTrip(ok));
    FileEntry refused =
        new FileEntry("s3a://b/x.txt", "train/x.txt", 0, "train", "n1", new Reject("list", "ü"));
    assertEquals(refused, roundTrip(refused));

    byte[] patches = {0, 1, -1, 127, -128};
    Outcome row = new Outcome("k", "val", "n2", -1, patches, 640, 480, null);
    Outcome back = roundTrip(row);
    assertArrayEquals(patches, back.patches());
    assertEquals(List.of("k", "val", "n2", -1, 640, 480), fields(back));
    assertNull(back.reject());
    Outcome rejected =
        roundTrip(new Outcome("k", "val", "n2", 3, null, 0, 0, new Reject("a", "b")));
    assertNull(rejected.patches());
    assertEquals(new Reject("a", "b"), rejected.reject());
    assertArrayEquals(
        new byte[0], roundTrip(new Outcome("k", "s", "", 0, new byte[0], 1, 1, null)).patches());

    Primitives p = new Primitives(-0.5, 1e-3f, true, (short) -7, (byte) 200, 'é', null);
    assertEquals(p, roundTrip(p));
    Mixed m = new Mixed("m", List.of("a", "b"), 0.25, true);
    assertEquals(m, roundTrip(m));
  }

  private static List<Object> fields(Outcome o) {
    return List.of(o.key(), o.split(), o.synset(), o.label(), o.origWidth(), o.origHeight());
  }
}
