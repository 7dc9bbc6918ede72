package org.maespark.train.sharing;

import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.parameterserver.distributed.v2.transport.UpdatesHandler;
import org.reactivestreams.Subscription;

/**
 * Counts the gradient updates that reach the driver's parameter server: the watchdog's sign of life
 * and the driver's way to tell that no update is still in flight after a fit.
 */
final class UpdateCounter implements UpdatesHandler {
  private final AtomicLong count = new AtomicLong();
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

  @Override
  public void onNext(INDArray update) {
    count.incrementAndGet();
    lastNanos = System.nanoTime();
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
