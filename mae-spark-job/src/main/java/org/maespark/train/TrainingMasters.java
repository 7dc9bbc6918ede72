package org.maespark.train;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;

/** Builds DL4J's Spark training master for one averaging round from the recipe. */
public final class TrainingMasters {
  private TrainingMasters() {}

  /**
   * Parameter averaging over exactly one round: the driver hands it an RDD of {@code workers}
   * partitions, each holding {@code averagingFrequency} minibatches of {@code batchPerWorker}, in
   * order. So DL4J neither splits nor repartitions (both would draw from an unseeded generator and
   * break replay), every worker sees its batches in the planned order, the updater state travels
   * with the parameters ({@code saveUpdater}), and after the round the configuration's iteration
   * count advances by {@code averagingFrequency}, which is the position the LR schedule reads. The
   * {@link StepSyncHook} gives the workers that same position (DL4J's workers start at 0). The
   * workers keep their graphs across rounds ({@link ResidentParameterAveraging}).
   */
  public static TrainingMaster parameterAveraging(
      TrainConfig t, int workers, long roundSeed, long roundFirstStep, int epoch) {
    return parameterAveraging(t, workers, roundSeed, roundFirstStep, epoch, null);
  }

  /** As above, with a {@link StepMeter} riding along (null: none). */
  static TrainingMaster parameterAveraging(
      TrainConfig t, int workers, long roundSeed, long roundFirstStep, int epoch, StepMeter meter) {
    List<TrainingHook> hooks = new ArrayList<>();
    hooks.add(new StepSyncHook(roundFirstStep, epoch));
    if (meter != null) {
      hooks.add(meter);
    }
    var b =
        new ParameterAveragingTrainingMaster.Builder(workers, t.batchPerWorker())
            .batchSizePerWorker(t.batchPerWorker())
            .averagingFrequency(t.averagingFrequency())
            // a worker with one minibatch per round has nothing to prepare ahead: DL4J's prefetch
            // would only add a thread per round for the training thread to wait on
            .workerPrefetchNumBatches(t.averagingFrequency() > 1 ? t.prefetch() : 0)
            .saveUpdater(true)
            .rddTrainingApproach(RDDTrainingApproach.Direct)
            .repartionData(Repartition.Never)
            .storageLevel(null)
            .rngSeed(roundSeed)
            .trainingHooks(hooks);
    return new ResidentParameterAveraging(b, (long) workers * t.averagingFrequency());
  }
}
