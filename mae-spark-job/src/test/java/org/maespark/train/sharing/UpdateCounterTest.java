package org.maespark.train.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The traffic figures from updates encoded by ND4J itself, as the workers encode them. */
class UpdateCounterTest {

  @Test
  void countsBytesAndElementsOfSparseAndBitmapUpdates() {
    UpdateCounter counter = new UpdateCounter();
    // 1,000 elements, 3 of them at or above the threshold 0.5 in magnitude
    INDArray update = Nd4j.zeros(DataType.FLOAT, 1000);
    update.putScalar(7, 0.9).putScalar(300, -0.6).putScalar(999, 0.5);
    INDArray sparse = Nd4j.getExecutioner().thresholdEncode(update.dup(), 0.5);
    counter.onNext(sparse);

    SharingTraffic t = counter.traffic();
    assertEquals(1, t.updates());
    assertEquals(sparse.length() * 4, t.bytes(), "int32 array: header plus one index each");
    assertEquals(3, t.elements());
    assertEquals(0, t.bitmapUpdates());
    assertEquals(3 / 1000.0, t.density(), 1e-12);

    // half the elements cross (|x| >= 0.5 of -1..1): a bitmap, 2 bits per element
    INDArray dense = Nd4j.linspace(-1, 1, 1000, DataType.FLOAT);
    long crossing = 0;
    for (int i = 0; i < 1000; i++) {
      crossing += Math.abs(dense.getFloat(i)) >= 0.5f ? 1 : 0;
    }
    INDArray bitmap = Nd4j.getExecutioner().bitmapEncode(dense, 0.5);
    counter.onNext(bitmap);
    SharingTraffic both = counter.traffic();
    assertEquals(2, both.updates());
    assertEquals(1, both.bitmapUpdates());
    assertEquals(t.bytes() + bitmap.length() * 4, both.bytes());
    assertEquals(new SharingTraffic(1, bitmap.length() * 4, 1, crossing, 1000), both.since(t));
    assertEquals((3 + crossing) / 2000.0, both.density(), 1e-12);
  }
}
