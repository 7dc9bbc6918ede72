package org.maespark.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaRDDLike;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * DL4J's parameter averaging for one planned round, with three costs removed: workers keep their
 * graph across rounds ({@link ResidentWorker}), the round's minibatch count is known from the plan
 * instead of counted by a Spark job that computes the round's data once more, and the round's
 * broadcast is released when the round is over instead of when the driver's garbage collector finds
 * it.
 */
final class ResidentParameterAveraging extends ParameterAveragingTrainingMaster {
  private final long roundMinibatches;
  private transient Broadcast<NetBroadcastTuple> lastRound;

  ResidentParameterAveraging(Builder b, long roundMinibatches) {
    super(b);
    this.roundMinibatches = roundMinibatches;
  }

  @Override
  public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph sg) {
    ComputationGraph g = sg.getNetwork();
    NetBroadcastTuple tuple =
        new NetBroadcastTuple(g.getConfiguration(), g.params(), g.getUpdater().getStateViewArray());
    lastRound = sg.getSparkContext().broadcast(tuple);
    WorkerConfiguration wc =
        new WorkerConfiguration(
            true,
            rddDataSetNumExamples,
            batchSizePerWorker,
            averagingFrequency,
            prefetchNumBatches,
            false);
    return new ResidentWorker(
        lastRound, WorkerModels.key(g.getConfiguration()), wc, trainingHookList);
  }

  @Override
  protected <T, R extends JavaRDDLike<T, R>> long getTotalDataSetObjectCount(
      JavaRDDLike<T, R> trainingData) {
    return roundMinibatches;
  }

  @Override
  protected void doIteration(
      SparkComputationGraph graph, JavaRDD<MultiDataSet> split, int splitNum, int numSplits) {
    try {
      super.doIteration(graph, split, splitNum, numSplits);
    } finally {
      if (lastRound != null) {
        lastRound.destroy();
        lastRound = null;
      }
    }
  }
}
