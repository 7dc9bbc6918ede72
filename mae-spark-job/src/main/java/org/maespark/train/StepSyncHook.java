package org.maespark.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Gives each worker's copy of the graph the driver's step and epoch before it trains.
 *
 * <p>Why: DL4J's parameter-averaging worker builds its graph from {@code
 * ComputationGraphConfiguration.clone()}, which "intentionally" drops the iteration and epoch
 * counts, so every worker restarts at iteration 0 each round. Anything keyed on the iteration then
 * runs on the wrong clock: an LR schedule stays at its step-0 value (0 during warmup: no learning
 * at all) and Adam's bias correction restarts every round. The driver still advances its own count,
 * so nothing looks wrong there. This hook, shipped with each round's training master, moves a fresh
 * worker graph to the round's first step; the worker then counts on from there.
 */
final class StepSyncHook implements TrainingHook {
  private final long roundFirstStep;
  private final int epoch;

  StepSyncHook(long roundFirstStep, int epoch) {
    this.roundFirstStep = roundFirstStep;
    this.epoch = epoch;
  }

  @Override
  public void preUpdate(MultiDataSet minibatch, Model model) {
    sync(model);
  }

  @Override
  public void preUpdate(DataSet minibatch, Model model) {
    sync(model);
  }

  private void sync(Model model) {
    if (model instanceof ComputationGraph g
        && g.getConfiguration().getIterationCount() < roundFirstStep) {
      g.getConfiguration().setIterationCount((int) roundFirstStep);
      g.getConfiguration().setEpochCount(epoch);
    }
  }

  @Override
  public void postUpdate(MultiDataSet minibatch, Model model) {}

  @Override
  public void postUpdate(DataSet minibatch, Model model) {}
}
