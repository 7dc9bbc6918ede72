package org.maespark.train.sharing;

import java.util.Iterator;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.deeplearning4j.spark.parameterserver.functions.SharedFlatMapMultiDataSet;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingResult;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingWorker;
import org.maespark.train.TaskThreads;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/** A training task: publishes the fit's {@link FitSync} in this JVM, then runs DL4J's worker. */
final class SyncedFlatMap implements FlatMapFunction<Iterator<MultiDataSet>, SharedTrainingResult> {
  private static final long serialVersionUID = 1L;
  private final SharedTrainingWorker worker;
  private final FitSync sync;

  SyncedFlatMap(SharedTrainingWorker worker, FitSync sync) {
    this.worker = worker;
    this.sync = sync;
  }

  @Override
  public Iterator<SharedTrainingResult> call(Iterator<MultiDataSet> batches) throws Exception {
    AeronSettings.apply();
    TaskThreads.apply();
    FitSync.publish(sync);
    return new SharedFlatMapMultiDataSet<SharedTrainingResult>(worker).call(batches);
  }
}
