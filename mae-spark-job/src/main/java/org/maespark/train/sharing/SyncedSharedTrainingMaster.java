package org.maespark.train.sharing;

import java.time.Duration;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.residual.ResidualClippingPostProcessor;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.RepartitionStrategy;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingWorker;
import org.maespark.train.StepMeter;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;
import org.nd4j.parameterserver.distributed.v2.ModelParameterServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DL4J's {@link SharedTrainingMaster} with the three repairs of this package, for one run: the
 * driver calls {@link #beginFit} before each {@code fitMultiDataSet} on an RDD of {@code workers}
 * partitions with {@code stepsPerFit} minibatches each, and reuses this master for every fit of the
 * run (one parameter-server mesh per run: relaunching it per fit leaks a busy-polling Aeron
 * subscription thread per launch, {@code AeronUdpTransport.createSubscription}).
 *
 * <p>Per fit it: broadcasts the driver's current parameters and updater state afresh (DL4J
 * broadcasts once per master and keeps that broadcast); makes every worker restart from them at the
 * fit's global step ({@link DriverSyncListener}); runs the fit under a Spark job group watched by a
 * {@link StallWatchdog} and by {@link MeshMembers} (a lost executor ends the run); after the fit
 * waits until no update is in flight to the driver, applies what arrived, and advances the driver's
 * step by {@code stepsPerFit} (DL4J's shared master leaves the driver's iteration count untouched,
 * which the LR schedule and checkpoints read) and reports the workers' mean last loss as the fit's
 * score.
 */
final class SyncedSharedTrainingMaster extends SharedTrainingMaster {
  private static final Logger LOG = LoggerFactory.getLogger(SyncedSharedTrainingMaster.class);
  private static final long serialVersionUID = 1L;

  /** No update for this long after a cluster fit means none is in flight. */
  static final Duration SETTLE = Duration.ofMillis(500);

  /** Prefix of the Spark job group of every fit. */
  private static final String GROUP = "mae-gradient-sharing-";

  private final int stepsPerFit;
  private final Duration stallTimeout;
  private final int executorPorts;
  private final transient UpdateCounter updates = new UpdateCounter();
  private transient MeshMembers mesh;
  private transient boolean counting;
  private transient FitSync next;
  private transient StepMeter nextMeter;
  private transient long fits;

  SyncedSharedTrainingMaster(
      VoidConfiguration voidConfiguration,
      ThresholdAlgorithm threshold,
      int workers,
      int batchPerWorker,
      int prefetch,
      int stepsPerFit,
      Duration stallTimeout,
      int executorPorts) {
    super(
        voidConfiguration,
        workers,
        RDDTrainingApproach.Direct,
        null, // no storage level: the driver's RDDs are built per fit, in order
        false,
        RepartitionStrategy.Balanced,
        Repartition.Never,
        threshold,
        new ResidualClippingPostProcessor(5.0, 5), // DL4J's default
        batchPerWorker, // each MultiDataSet of the RDD is one whole minibatch
        batchPerWorker,
        0L,
        1, // one model per executor JVM; DL4J's ParallelWrapper path would bypass the re-sync
        prefetch,
        null, // no repartitioner: the driver's partitions are the workers' planned shards
        true,
        5000,
        false);
    this.stepsPerFit = stepsPerFit;
    this.stallTimeout = stallTimeout;
    this.executorPorts = executorPorts;
    setListeners(List.of(new DriverSyncListener()));
  }

  /**
   * Announces the next fit: 0-based epoch, the global step of its first minibatch, and the meter
   * that sums every worker step's loss.
   */
  void beginFit(int epoch, long firstStep, StepMeter meter) {
    next = new FitSync(trainingMasterUID + "/" + (++fits), epoch, firstStep, null);
    nextMeter = meter;
  }

  @Override
  public void executeTrainingMDS(SparkComputationGraph graph, JavaRDD<MultiDataSet> data) {
    if (next == null) {
      throw new IllegalStateException("beginFit(epoch, firstStep, meter) must precede every fit");
    }
    FitSync fit = next;
    long updatesBefore = updates.count();
    SharingTraffic trafficBefore = updates.traffic();
    AeronSettings.apply();
    prepareNetworkAndStuff(null, graph);
    if (!counting) {
      ModelParameterServer.getInstance().addUpdatesSubscriber(updates);
      counting = true;
    }
    JavaSparkContext jsc = graph.getSparkContext();
    if (mesh == null) {
      mesh = new MeshMembers(GROUP + trainingMasterUID + "/");
      jsc.sc().addSparkListener(mesh);
    }
    if (mesh.lost() != null) {
      throw executorLost(fit, null);
    }
    String group = GROUP + fit.fitId();
    mesh.onLoss(() -> jsc.cancelJobGroup(group));
    jsc.setJobGroup(group, "gradient sharing, epoch " + (fit.epoch() + 1), true);
    StallWatchdog dog =
        new StallWatchdog(
            updates,
            stallTimeout,
            () -> {
              LOG.error(
                  "gradient sharing: no update reached the driver for {} s in epoch {}; cancelling",
                  stallTimeout.toSeconds(),
                  fit.epoch() + 1);
              jsc.cancelJobGroup(group);
            });
    try {
      doIterationMDS(graph, data, 1, 1);
    } catch (Exception e) { // Spark's SparkException is checked, thrown through Scala
      if (dog.fired()) {
        ModelParameterServer.getInstance().shutdown();
        throw stalled(fit, e);
      }
      if (mesh.lost() != null) {
        throw executorLost(fit, e);
      }
      throw e;
    } finally {
      mesh.onLoss(() -> {});
      dog.close();
      jsc.clearJobGroup();
      next = null;
    }
    if (!jsc.isLocal()) {
      settle();
    }
    if (mesh.lost() != null) { // Spark ran the lost task again elsewhere and the fit completed
      throw executorLost(fit, null);
    }
    getUpdatesConsumer().flush();
    LOG.info(
        "gradient sharing: epoch {} steps {}-{}: {}",
        fit.epoch() + 1,
        fit.firstStep(),
        fit.firstStep() + stepsPerFit - 1,
        updates.traffic().since(trafficBefore));
    if (updates.count() == updatesBefore) {
      LOG.warn(
          "gradient sharing: no update reached the driver in epoch {} steps {}-{}; the driver's"
              + " model did not change (threshold too high for the LR, see train.threshold, or"
              + " executors not connected to {}:{})",
          fit.epoch() + 1,
          fit.firstStep(),
          fit.firstStep() + stepsPerFit - 1,
          voidConfiguration.getControllerAddress(),
          voidConfiguration.getUnicastControllerPort());
    }
    ComputationGraph g = graph.getNetwork();
    g.getConfiguration().setIterationCount((int) (fit.firstStep() + stepsPerFit));
    // DL4J's shared master sets the score on the graph but not on the SparkComputationGraph,
    // whose getScore() the driver reads (parameter averaging sets both)
    graph.setScore(g.score());
  }

  /** Fails the run: its mesh lost a member (see {@link MeshMembers} for why it cannot go on). */
  private GradientSharingStalledException executorLost(FitSync fit, Throwable cause) {
    ModelParameterServer.getInstance().shutdown();
    return new GradientSharingStalledException(
        String.format(
            "gradient sharing lost %s in epoch %d (steps %d-%d): DL4J's update mesh does not take a"
                + " replacement executor in, so this fit was cancelled and not checkpointed. The last"
                + " complete checkpoint is intact; rerun with --resume auto to continue from it in a"
                + " fresh application",
            mesh.lost(), fit.epoch() + 1, fit.firstStep(), fit.firstStep() + stepsPerFit - 1),
        cause);
  }

  private int controllerPort() {
    return voidConfiguration.getUnicastControllerPort();
  }

  private GradientSharingStalledException stalled(FitSync fit, Throwable cause) {
    return new GradientSharingStalledException(
        String.format(
            "gradient sharing stalled in epoch %d (steps %d-%d): no gradient update reached the"
                + " driver for %d s (train.sharing_stall_timeout_s), so the fit was cancelled."
                + " Usual causes: an executor was lost and its replacement waits forever for the"
                + " parameter-server handshake; or the hosts cannot reach each other's UDP ports"
                + " (the driver's %d, the executors' %d-%d: train.sharing_controller_port and"
                + " train.sharing_executor_ports; open them between the hosts). The last complete"
                + " checkpoint is intact; rerun with --resume auto to continue from it",
            fit.epoch() + 1,
            fit.firstStep(),
            fit.firstStep() + stepsPerFit - 1,
            stallTimeout.toSeconds(),
            controllerPort(),
            controllerPort() + 1,
            controllerPort() + executorPorts),
        cause);
  }

  /** Waits until no update has arrived for {@link #SETTLE} (at most 20 settle periods). */
  private void settle() {
    long deadline = System.nanoTime() + 20 * SETTLE.toNanos();
    while (System.nanoTime() - updates.lastNanos() < SETTLE.toNanos()
        && System.nanoTime() < deadline) {
      try {
        Thread.sleep(SETTLE.toMillis() / 5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  protected void doIterationMDS(
      SparkComputationGraph network, JavaRDD<MultiDataSet> split, int splitNum, int numSplits) {
    SharedTrainingWorker worker = getWorkerInstance(network);
    FitSync sync =
        new FitSync(next.fitId(), next.epoch(), next.firstStep(), worker.getBroadcastModel());
    processResults(null, network, split.mapPartitions(new SyncedFlatMap(worker, sync, nextMeter)));
  }

  @Override
  public SharedTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
    // a fresh broadcast of the driver's current state for every fit
    if (broadcastModel != null) {
      broadcastModel.unpersist(false);
      broadcastModel = null;
    }
    return super.getWorkerInstance(graph);
  }

  /** Updates the driver has received in this run. */
  long updatesReceived() {
    return updates.count();
  }

  /** The encoded updates the driver has received in this run. */
  SharingTraffic traffic() {
    return updates.traffic();
  }
}
