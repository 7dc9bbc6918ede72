package org.maespark.train.sharing;

import java.io.Serializable;
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

  static void publish(FitSync s) {
    current = s;
  }

  static FitSync current() {
    return current;
  }
}
