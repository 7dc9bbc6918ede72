package org.maespark.train.sharing;

import java.util.Iterator;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.deeplearning4j.spark.parameterserver.functions.SharedFlatMapMultiDataSet;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingResult;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingWorker;
import org.maespark.train.StepMeter;
import org.maespark.train.TaskThreads;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * A training task: publishes the fit's {@link FitSync} in this JVM, runs DL4J's worker, and adds
 * the steps its JVM trained to the run's {@link StepMeter} (a Spark accumulator, so the task must
 * add them before it ends; DL4J trains inside {@code call}).
 */
final class SyncedFlatMap implements FlatMapFunction<Iterator<MultiDataSet>, SharedTrainingResult> {
  private static final long serialVersionUID = 1L;
  private final SharedTrainingWorker worker;
  private final FitSync sync;
  private final StepMeter meter;

  SyncedFlatMap(SharedTrainingWorker worker, FitSync sync, StepMeter meter) {
    this.worker = worker;
    this.sync = sync;
    this.meter = meter;
  }

  @Override
  public Iterator<SharedTrainingResult> call(Iterator<MultiDataSet> batches) throws Exception {
    AeronSettings.apply();
    TaskThreads.apply();
    FitSync.publish(sync);
    long t0 = System.nanoTime();
    Iterator<SharedTrainingResult> out =
        new SharedFlatMapMultiDataSet<SharedTrainingResult>(worker).call(batches);
    double[] steps = FitSync.takeSteps(sync.fitId());
    meter.addSteps(steps[0], (long) steps[1], System.nanoTime() - t0);
    return out;
  }
}
