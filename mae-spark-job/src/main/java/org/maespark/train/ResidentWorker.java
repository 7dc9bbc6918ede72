package org.maespark.train;

import java.util.Collection;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's parameter-averaging worker, except that its graph comes from {@link WorkerModels} (kept
 * across rounds) instead of being built from the broadcast each round.
 */
final class ResidentWorker extends ParameterAveragingTrainingWorker {
  private final Broadcast<NetBroadcastTuple> round;
  private final String modelKey;

  ResidentWorker(
      Broadcast<NetBroadcastTuple> round,
      String modelKey,
      WorkerConfiguration configuration,
      Collection<TrainingHook> hooks) {
    super(round, true, configuration, hooks, null, null);
    this.round = round;
    this.modelKey = modelKey;
  }

  @Override
  public ComputationGraph getInitialModelGraph() {
    TaskThreads.apply();
    return WorkerModels.take(modelKey, round.getValue());
  }

  /**
   * The round's result holds copies, so the graph can go back to the pool at once: the next task
   * that takes it may start before this task's result has been serialized.
   */
  @Override
  public ParameterAveragingTrainingResult getFinalResult(ComputationGraph g) {
    INDArray params = g.params().dup();
    INDArray state = g.getUpdater().getStateViewArray().dup();
    double score = g.score();
    WorkerModels.give(modelKey, g);
    return new ParameterAveragingTrainingResult(params, state, score, null, null, null);
  }
}
