package org.maespark.train.sharing;

import java.time.Duration;
import java.util.UUID;
import org.apache.spark.SparkConf;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.maespark.train.StepMeter;
import org.maespark.train.TrainConfig;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;
import org.nd4j.parameterserver.distributed.enums.ExecutionMode;

/**
 * Gradient sharing (Strom 2015 threshold encoding, DL4J's {@code SharedTrainingMaster}) for one
 * run. The driver trains the same way as with parameter averaging: per fit an RDD of {@code
 * workers} partitions holding {@code train.averaging_frequency} minibatches each, in order; here
 * that count is the number of steps between re-syncs of the workers with the driver (one fit).
 * Workers exchange sparse updates after every step, and each re-sync drops what they have not sent
 * yet (the residual below the threshold), so fewer, longer fits learn better as well as cost less.
 *
 * <pre>
 * GradientSharing gs = GradientSharing.forRun(sparkConf, train, sharing, workers, recipe);
 * LrInstaller.install(graph, gs.workerSchedule());
 * new SparkComputationGraph(jsc, graph, gs.forFit(epoch, firstStep, meter)).fitMultiDataSet(rdd);
 * </pre>
 */
public final class GradientSharing {
  private final SyncedSharedTrainingMaster master;
  private final ISchedule workerSchedule;

  private GradientSharing(SyncedSharedTrainingMaster master, ISchedule workerSchedule) {
    this.master = master;
    this.workerSchedule = workerSchedule;
  }

  /**
   * The run's master. The controller (driver) address is {@code spark.driver.host}, which every
   * executor already reaches.
   *
   * @param recipe the recipe's LR schedule (absolute LR, per global step)
   */
  public static GradientSharing forRun(
      SparkConf spark, TrainConfig t, SharingConfig s, int workers, ISchedule recipe) {
    String host = spark.get("spark.driver.host", null);
    if (host == null || host.isBlank()) {
      throw new IllegalStateException(
          "gradient sharing needs spark.driver.host (the address executors reach the driver's"
              + " parameter server at); it is not set");
    }
    AeronSettings.apply();
    VoidConfiguration v =
        VoidConfiguration.builder()
            .portSupplier(new SharingPortSupplier(s.controllerPort(), s.executorPorts()))
            .controllerAddress(host)
            .networkMask(s.networkMask().isEmpty() ? null : s.networkMask())
            .executionMode(ExecutionMode.MANAGED)
            .build();
    ISchedule workerLr = new WorkerShareSchedule(recipe, workers);
    var threshold =
        new SharingThresholdAlgorithm(
            new AdaptiveThresholdAlgorithm(t.threshold()),
            workerLr,
            t.thresholdMin(),
            // names this run's threshold memory in each JVM; identity only, no training draw
            UUID.randomUUID().toString());
    return new GradientSharing(
        new SyncedSharedTrainingMaster(
            v,
            threshold,
            workers,
            t.batchPerWorker(),
            t.prefetch(),
            t.averagingFrequency(),
            Duration.ofSeconds(s.stallTimeoutSeconds()),
            s.executorPorts()),
        workerLr);
  }

  /**
   * The schedule the workers' updaters must run ({@link WorkerShareSchedule}: the recipe's LR
   * divided by the workers, since their updates add up).
   */
  public ISchedule workerSchedule() {
    return workerSchedule;
  }

  /**
   * The master for the next fit: {@code epoch} 0-based, {@code firstStep} the global step of the
   * fit's first minibatch (the driver graph's iteration count). After the fit the driver graph
   * stands at {@code firstStep + train.averaging_frequency}. Every worker step's loss is added to
   * {@code meter}.
   */
  public TrainingMaster forFit(int epoch, long firstStep, StepMeter meter) {
    master.beginFit(epoch, firstStep, meter);
    return master;
  }

  /** Gradient updates the driver has received so far in this run. */
  public long updatesReceived() {
    return master.updatesReceived();
  }

  /** The encoded updates the driver has received so far in this run (every worker's). */
  public SharingTraffic traffic() {
    return master.traffic();
  }
}
