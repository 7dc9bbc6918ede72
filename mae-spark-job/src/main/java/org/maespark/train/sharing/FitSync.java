package org.maespark.train.sharing;

import java.io.Serializable;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;

/**
 * What a worker needs to start a fit where the driver stands: the driver's parameters and updater
 * state (broadcast for this fit), the global step and the epoch. Published per JVM by each training
 * task ({@link SyncedFlatMap}) just before DL4J's worker runs, and read by the {@link
 * DriverSyncListener} on the worker's model when the fit starts.
 *
 * @param fitId unique per fit of a run
 * @param epoch 0-based epoch
 * @param firstStep global step of the fit's first minibatch
 * @param driverState the driver's graph configuration, parameters and updater state
 */
record FitSync(String fitId, int epoch, long firstStep, Broadcast<NetBroadcastTuple> driverState)
    implements Serializable {

  private static volatile FitSync current;
  private static final AtomicInteger TASKS = new AtomicInteger();

  /** Called by every training task of the fit in this JVM before DL4J's worker runs. */
  static void publish(FitSync s) {
    synchronized (FitSync.class) {
      if (current == null || !current.fitId.equals(s.fitId)) {
        current = s;
        TASKS.set(0);
      }
      TASKS.incrementAndGet();
    }
  }

  /**
   * Training tasks of the current fit in this JVM: DL4J trains one model per JVM, which takes one
   * minibatch of each of them per global step.
   */
  static int tasksInJvm() {
    return Math.max(1, TASKS.get());
  }

  static FitSync current() {
    return current;
  }
}
