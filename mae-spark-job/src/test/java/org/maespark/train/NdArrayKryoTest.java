package org.maespark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.junit.jupiter.api.Test;
import org.maespark.command.SparkSessions;
import org.maespark.testing.TinyModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.reflect.ClassTag$;

/**
 * INDArrays through the jobs' Kryo (raw bytes in bulk): every element type, ordering, view and edge
 * shape arrives bit for bit, also inside what a parameter-averaging round broadcasts.
 */
class NdArrayKryoTest {
  static final SerializerInstance SER =
      new KryoSerializer(SparkSessions.configure(new SparkConf(false), "t")).newInstance();

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(T value) {
    ByteBuffer b = SER.serialize(value, (scala.reflect.ClassTag<T>) ClassTag$.MODULE$.Any());
    return SER.deserialize(b, (scala.reflect.ClassTag<T>) ClassTag$.MODULE$.Any());
  }

  static void assertSame(INDArray want, INDArray got) {
    assertEquals(want.dataType(), got.dataType());
    assertArrayEquals(want.shape(), got.shape());
    if (want.length() == 0) {
      assertEquals(0, got.length());
      return;
    }
    // bit for bit: the raw bytes of both, laid out in c order
    assertArrayEquals(bytes(want), bytes(got));
  }

  static byte[] bytes(INDArray a) {
    ByteBuffer b = a.dup('c').data().asNio();
    byte[] out = new byte[(int) (a.length() * a.dataType().width())];
    b.get(out);
    return out;
  }

  @Test
  void everyKindOfArrayArrivesBitForBit() {
    var kryo = new KryoSerializer(SparkSessions.configure(new SparkConf(false), "t")).newKryo();
    assertTrue(
        kryo.getRegistration(Nd4j.getBackend().getNDArrayClass()).getSerializer()
            instanceof NdArrayKryoRegistrator.BulkSerializer,
        "the jobs' Kryo does not carry INDArrays in bulk");
    List<INDArray> arrays = new ArrayList<>();
    INDArray f = Nd4j.rand(DataType.FLOAT, 5, 7);
    f.putScalar(0, 0, Float.NaN);
    f.putScalar(1, 1, Float.NEGATIVE_INFINITY);
    f.putScalar(2, 2, -0.0f);
    f.putScalar(3, 3, Float.MIN_VALUE); // subnormal
    arrays.add(f);
    arrays.add(Nd4j.rand(DataType.DOUBLE, 3, 4, 5));
    arrays.add(Nd4j.rand(DataType.FLOAT, new long[] {4, 6}).dup('f'));
    arrays.add(f.transpose()); // a view in f order
    arrays.add(f.getRow(3)); // a view with an offset
    arrays.add(f.reshape(35)); // a view of a whole buffer, as a graph's params() is
    arrays.add(f.dup('f').reshape('f', new long[] {35})); // the same in f order
    arrays.add(f.dup('f').reshape('c', new long[] {7, 5})); // a reshape that reorders: copied out
    arrays.add(Nd4j.rand(DataType.FLOAT, 200_000)); // several chunks
    arrays.add(Nd4j.createFromArray(new int[] {1, -2, Integer.MAX_VALUE}));
    arrays.add(Nd4j.createFromArray(new long[] {Long.MIN_VALUE, 3}));
    arrays.add(Nd4j.createFromArray(new boolean[] {true, false, true}));
    arrays.add(Nd4j.rand(DataType.HALF, 3, 3));
    arrays.add(Nd4j.scalar(DataType.FLOAT, 2.5f));
    arrays.add(Nd4j.create(DataType.FLOAT, 0, 4)); // empty
    for (INDArray a : arrays) {
      assertSame(a, roundTrip(a));
    }
  }

  @Test
  void aRoundsBroadcastArrivesWhole() {
    TinyModel m = new TinyModel(3, 8, 4);
    var g = m.graph();
    g.getUpdater()
        .getStateViewArray()
        .assign(Nd4j.rand(DataType.FLOAT, g.getUpdater().getStateViewArray().shape()));
    NetBroadcastTuple t =
        new NetBroadcastTuple(g.getConfiguration(), g.params(), g.getUpdater().getStateViewArray());
    NetBroadcastTuple back = roundTrip(t);
    assertSame(g.params(), back.getParameters());
    assertSame(g.getUpdater().getStateViewArray(), back.getUpdaterState());
    assertTrue(back.getParameters().length() > 0);
  }
}
