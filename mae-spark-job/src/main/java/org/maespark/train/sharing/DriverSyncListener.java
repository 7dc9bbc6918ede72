package org.maespark.train.sharing;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;

/**
 * Restarts a worker's model from the driver's parameters, updater state and step at the start of
 * every fit.
 *
 * <p>Why (defect 2, "workers diverge after the first epoch"): DL4J's executor keeps one model per
 * JVM for all fits of a training master ({@code SharedTrainingWrapper.run}, dl4j-spark-
 * parameterserver 1.0.0-M2: the model is taken from the broadcast only when the accumulator is
 * first built; later fits build a fresh model from the new broadcast and then train the old {@code
 * originalModel} instead). Between fits the same method drops updates: it purges the queue of other
 * workers' updates not yet applied ({@code consumer.getUpdatesQueue().purge()}), resets the
 * accumulator, and puts the {@code UpdatesConsumer} into bypass mode, in which {@code onNext}
 * discards every update that arrives (a faster worker finishing first never sees a slower one's
 * last steps). The driver's consumer never bypasses, so the driver holds every update while each
 * worker misses a different set; nothing ever re-syncs them, and the copies drift further each
 * epoch. Resetting each worker to the driver's state at each fit bounds the loss to in-flight
 * updates of one fit and keeps every copy on one trajectory.
 *
 * <p>The listener also gives the model the driver's step: DL4J sets it from the largest iteration
 * seen in incoming messages (0 on a fresh executor), which would restart the LR schedule.
 */
final class DriverSyncListener extends BaseTrainingListener implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private String syncedFit;
  private long minibatches;

  /**
   * Keeps the step clock global: a JVM that trains k tasks' partitions takes k minibatches per
   * global step (k = 2 in Spark local[2], or an executor with several task slots), and DL4J counts
   * each as an iteration, which would run the LR schedule k times too fast. Also records the
   * minibatch's loss for the epoch's mean train loss ({@link FitSync#stepDone}).
   */
  @Override
  public void iterationDone(Model model, int iteration, int epoch) {
    FitSync s = FitSync.current();
    if (s == null || !s.fitId().equals(syncedFit) || !(model instanceof ComputationGraph g)) {
      return;
    }
    minibatches++;
    FitSync.stepDone(s.fitId(), g.score());
    // DL4J adds 1 after the listeners: the next minibatch then runs at this global step
    long step = s.firstStep() + minibatches / FitSync.tasksInJvm();
    g.getConfiguration().setIterationCount((int) step - 1);
  }

  @Override
  public void onEpochStart(Model model) {
    FitSync s = FitSync.current();
    if (s == null || s.fitId().equals(syncedFit) || !(model instanceof ComputationGraph g)) {
      return;
    }
    NetBroadcastTuple t = s.driverState().getValue();
    g.params().assign(t.getParameters());
    if (t.getUpdaterState() != null && g.getUpdater() != null) {
      g.getUpdater().getStateViewArray().assign(t.getUpdaterState());
    }
    g.getConfiguration().setIterationCount((int) s.firstStep());
    g.getConfiguration().setEpochCount(s.epoch());
    syncedFit = s.fitId();
    minibatches = 0;
  }
}
