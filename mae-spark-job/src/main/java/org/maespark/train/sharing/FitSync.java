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

  private static String stepsFit;
  private static double stepLossSum;
  private static long steps;

  /** Called after each minibatch this JVM's model trains in fit {@code fitId}, with its loss. */
  static synchronized void stepDone(String fitId, double loss) {
    if (!fitId.equals(stepsFit)) {
      stepsFit = fitId;
      stepLossSum = 0;
      steps = 0;
    }
    stepLossSum += loss;
    steps++;
  }

  /**
   * The steps of fit {@code fitId} this JVM trained that no task has taken yet, {loss sum, steps};
   * taken once. Every task takes them as it ends, so each step is counted by exactly one task: the
   * task that trains (DL4J's first task of the fit in the JVM) ends only after every step.
   */
  static synchronized double[] takeSteps(String fitId) {
    if (!fitId.equals(stepsFit) || steps == 0) {
      return new double[] {0, 0};
    }
    double[] out = {stepLossSum, steps};
    stepLossSum = 0;
    steps = 0;
    return out;
  }
}
