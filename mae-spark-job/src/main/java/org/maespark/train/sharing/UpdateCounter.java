package org.maespark.train.sharing;

import java.nio.IntBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.compression.ThresholdCompression;
import org.nd4j.parameterserver.distributed.v2.transport.UpdatesHandler;
import org.reactivestreams.Subscription;

/**
 * Counts the gradient updates that reach the driver's parameter server: the watchdog's sign of
 * life, the driver's way to tell that no update is still in flight after a fit, and the run's
 * {@link SharingTraffic}.
 */
final class UpdateCounter implements UpdatesHandler {
  /** Header of DL4J's encoded update: element count, model length, threshold, encoding. */
  private static final int HEADER = 4;

  private final AtomicLong count = new AtomicLong();
  private SharingTraffic traffic = SharingTraffic.NONE;
  private volatile long lastNanos = System.nanoTime();

  long count() {
    return count.get();
  }

  /** {@link System#nanoTime()} of the last update (or of the last {@link #touch()}). */
  long lastNanos() {
    return lastNanos;
  }

  /** Restarts the quiet-time clock (at the start of a fit). */
  void touch() {
    lastNanos = System.nanoTime();
  }

  /** The traffic counted so far. */
  synchronized SharingTraffic traffic() {
    return traffic;
  }

  @Override
  public void onNext(INDArray update) {
    record(update);
    count.incrementAndGet();
    lastNanos = System.nanoTime();
  }

  private synchronized void record(INDArray encoded) {
    if (encoded.length() < HEADER) {
      return;
    }
    boolean bitmap = encoded.getInt(3) != ThresholdCompression.FLEXIBLE_ENCODING;
    SharingTraffic t = traffic;
    traffic =
        new SharingTraffic(
            t.updates() + 1,
            t.bytes() + encoded.length() * encoded.dataType().width(),
            t.bitmapUpdates() + (bitmap ? 1 : 0),
            t.elements() + (bitmap ? bitmapElements(encoded) : encoded.getInt(0)),
            t.modelElements() + encoded.getInt(1));
  }

  /**
   * Elements a bitmap update carries: each int after the header flags 16 elements in its low half
   * (the high half holds their signs). Read in place: a copy would put P/16 ints (28 MB for ViT-B)
   * on the heap for every update of every worker.
   */
  private static long bitmapElements(INDArray encoded) {
    IntBuffer words = encoded.data().asNioInt();
    long n = 0;
    for (int i = HEADER; i < encoded.length(); i++) {
      n += Integer.bitCount(words.get(i) & 0xFFFF);
    }
    return n;
  }

  @Override
  public INDArray getParametersArray() {
    // ModelParameterServer answers parameter requests from its first subscriber, DL4J's own
    return null;
  }

  @Override
  public void onSubscribe(Subscription s) {}

  @Override
  public void onError(Throwable t) {}

  @Override
  public void onComplete() {}
}
