package org.maespark.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongFunction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.maespark.checkpoint.CheckpointConfig;
import org.maespark.checkpoint.CheckpointState;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.checkpoint.Versions;
import org.maespark.conf.Settings;
import org.maespark.eval.EvalConfig;
import org.maespark.input.Augmenter;
import org.maespark.input.DatasetInfo;
import org.maespark.input.Seeds;
import org.maespark.input.TrainRow;
import org.maespark.input.TrainRows;
import org.maespark.train.sharing.GradientSharing;
import org.maespark.train.sharing.SharingConfig;
import org.maespark.train.sharing.SharingTraffic;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's epoch loop (official {@code engine_pretrain.py} on Spark): per epoch a seeded
 * shuffle, rounds of DL4J parameter averaging, progress lines, evaluation and checkpoints as
 * configured. Resuming from a checkpoint restores weights, optimizer state, the schedule position
 * (the graph's iteration count) and the epoch, so the data order continues too.
 */
public final class Pretrainer {
  private static final Logger LOG = LoggerFactory.getLogger(Pretrainer.class);

  /** Evaluation hook run after an epoch; returns metrics to log and save. */
  public interface Evaluation {
    Map<String, Object> evaluate(PretrainModel model, int epoch);

    /** Extra files for a checkpoint (e.g. {@code recon.png}); may be empty. */
    default Map<String, CheckpointStore.FileWriter> checkpointFiles(PretrainModel model) {
      return Map.of();
    }
  }

  /** Result of a run. */
  public record Result(int epochsDone, long globalStep, double lastLoss) {}

  private final SparkSession spark;
  private final String configText;
  private final TrainConfig train;
  private final CheckpointConfig ckpt;
  private final EvalConfig eval;
  private final DatasetInfo dataset;
  private final LongFunction<PretrainModel> modelFactory;
  private final Evaluation evaluation;
  private Map<String, String> origin; // where the starting weights came from; null: random init

  public Pretrainer(
      SparkSession spark,
      String configText,
      TrainConfig train,
      CheckpointConfig ckpt,
      EvalConfig eval,
      DatasetInfo dataset,
      LongFunction<PretrainModel> modelFactory,
      Evaluation evaluation) {
    this.spark = spark;
    this.configText = configText;
    this.train = train;
    this.ckpt = ckpt;
    this.eval = eval;
    this.dataset = dataset;
    this.modelFactory = modelFactory;
    this.evaluation = evaluation;
  }

  /**
   * Records in every checkpoint's {@code state.json} that the model factory starts from weights
   * made elsewhere ({@code pretrain --init-from}); a resumed run keeps its checkpoint's record.
   */
  public Pretrainer startingFrom(Map<String, String> origin) {
    this.origin = origin;
    return this;
  }

  /**
   * Trains until {@code train.epochs}, or until {@code stopAfterEpoch} epochs are done (0 = no
   * early stop: a preemptible run's budget). With {@code resume}, continues from the newest
   * complete checkpoint when there is one.
   */
  public Result run(boolean resume, int stopAfterEpoch) throws IOException {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    PretrainModel model = modelFactory.apply(train.seed());
    dataset.checkFits(model.imgSize(), model.patch(), model.channels());
    CheckpointStore store = CheckpointStore.open(ckpt.dir(), jsc.hadoopConfiguration());

    JavaRDD<TrainRow> rows =
        TrainRows.rows(spark, dataset.uri(), "train").persist(StorageLevel.MEMORY_AND_DISK_SER());
    long trainImages = rows.count();
    int workers = train.resolveWorkers(jsc.defaultParallelism());
    RunPlan plan = RunPlan.derive(train, workers, trainImages);
    LOG.info("plan: {}", plan.explain(train, trainImages));
    LrSchedule schedule =
        new LrSchedule(
            plan.absoluteLr(),
            train.minLr(),
            train.warmupEpochs(),
            train.epochs(),
            plan.stepsPerEpoch());
    GradientSharing sharing =
        train.trainer() == TrainConfig.Trainer.GRADIENT_SHARING
            ? GradientSharing.forRun(
                jsc.getConf(),
                train,
                SharingConfig.fromSettings(Settings.parse(configText)),
                workers,
                schedule)
            : null;
    LrInstaller.install(model.graph(), sharing != null ? sharing.workerSchedule() : schedule);
    LOG.info("{}; model: {} trainable parameters", schedule, model.paramCount());

    int startEpoch = 0;
    // verified (sizes and sha256) before it is chosen; newer broken ones are set aside, warned
    Optional<CheckpointStore.Checkpoint> from =
        resume ? store.newestForResume(LOG::warn) : Optional.empty();
    if (from.isPresent()) {
      startEpoch = restore(store, from.get(), model, plan);
      store.truncateMetricsAfter(startEpoch);
      LOG.info("resumed from {} (epoch {}, step {})", from.get().dir(), startEpoch, step(model));
    } else if (resume) {
      LOG.info("--resume auto: no complete checkpoint under {}, starting fresh", store.root());
    }

    double[][] norm = dataset.normalization(train.normalize());
    Augmenter augmenter =
        Augmenter.forMode(
            train.augment(),
            model.imgSize(),
            model.channels(),
            model.numPatches(),
            norm[0],
            norm[1],
            train.seed());
    int lastEpoch = stopAfterEpoch > 0 ? Math.min(train.epochs(), stopAfterEpoch) : train.epochs();
    StepMeter meter = StepMeter.register(jsc.sc());
    long runStart = System.nanoTime();
    long stepsThisRun = 0;
    double lastLoss = Double.NaN;
    for (int epoch = startEpoch; epoch < lastEpoch; epoch++) {
      SharingTraffic trafficBefore = sharing != null ? sharing.traffic() : null;
      EpochStats stats =
          trainEpoch(
              jsc, model, rows, epoch, workers, plan, augmenter, schedule, store, sharing, meter);
      stepsThisRun += plan.stepsPerEpoch();
      lastLoss = stats.meanLoss();
      int done = epoch + 1;
      double elapsed = (System.nanoTime() - runStart) / 1e9;
      double eta = elapsed / stepsThisRun * (train.epochs() - done) * (double) plan.stepsPerEpoch();
      Map<String, Object> metrics = new LinkedHashMap<>();
      metrics.put("kind", "epoch");
      metrics.put("epoch", done);
      metrics.put("step", step(model));
      metrics.put("train_loss", stats.meanLoss());
      metrics.put("train_steps", stats.steps()); // worker steps the train loss is the mean of
      metrics.put("lr", schedule.lrAtStep(step(model) - 1));
      metrics.put("img_per_s", stats.imagesPerSecond());
      metrics.put("epoch_s", stats.seconds());
      metrics.put("fit_s", stats.fitSeconds()); // the average worker's time in fit
      if (sharing != null) {
        // what the workers exchanged, as the driver received it (README "Gradient sharing")
        SharingTraffic t = sharing.traffic().since(trafficBefore);
        metrics.put("sharing_updates", t.updates());
        metrics.put("sharing_bytes", t.bytes());
        metrics.put("sharing_bitmap_updates", t.bitmapUpdates());
        if (t.updates() > 0) {
          metrics.put("sharing_density", t.density());
        }
      }
      metrics.put("elapsed_s", elapsed);
      metrics.put("eta_s", eta);
      if (evaluation != null && eval.dueAfter(done, train.epochs())) {
        metrics.putAll(evaluation.evaluate(model, done));
      }
      LOG.info("epoch {}/{} {}", done, train.epochs(), metrics);
      store.appendMetrics(metrics);
      if (ckpt.dueAfter(done, train.epochs()) || done == lastEpoch) {
        saveCheckpoint(store, model, done, metrics, schedule);
      }
    }
    return new Result(lastEpoch, step(model), lastLoss);
  }

  /** Optimizer steps taken so far (the graph's iteration count, which resume restores). */
  public static long step(PretrainModel model) {
    return model.graph().getConfiguration().getIterationCount();
  }

  /**
   * An epoch's figures. {@code meanLoss} is the mean over every worker step of the epoch ({@code
   * steps} of them); {@code fitSeconds} is the time the average worker spent in {@code fit}
   * (gradient sharing: in its task's run of DL4J's worker), against {@code seconds} of wall time.
   */
  record EpochStats(
      double meanLoss, long steps, double seconds, double imagesPerSecond, double fitSeconds) {}

  private EpochStats trainEpoch(
      JavaSparkContext jsc,
      PretrainModel model,
      JavaRDD<TrainRow> rows,
      int epoch,
      int workers,
      RunPlan plan,
      Augmenter augmenter,
      LrSchedule schedule,
      CheckpointStore store,
      GradientSharing sharing,
      StepMeter meter)
      throws IOException {
    long t0 = System.nanoTime();
    long rounds = plan.roundsPerEpoch(train.averagingFrequency());
    StepMeter.Reading epochStart = meter.read();
    try (EpochPlan ep = new EpochPlan(rows, train.seed(), epoch, workers, train, augmenter)) {
      long lastLogStep = step(model);
      long lastLogRound = 0;
      StepMeter.Reading lastLog = epochStart;
      for (long r = 0; r < rounds; r++) {
        long s = step(model);
        JavaRDD<MultiDataSet> round = ep.round(r);
        SparkComputationGraph sg =
            new SparkComputationGraph(
                jsc,
                model.graph(),
                sharing != null
                    ? sharing.forFit(epoch, s, meter)
                    : TrainingMasters.parameterAveraging(
                        train, workers, Seeds.mix(train.seed(), epoch, r), s, epoch, meter));
        sg.fitMultiDataSet(round);
        round.unpersist(false);
        double score = sg.getScore(); // the workers' last minibatches: a non-finite one stops
        if (!Double.isFinite(score)) {
          throw new NonFiniteLossException(
              String.format(
                  "non-finite loss %s at epoch %d, steps %d-%d (lr %.4e); the last complete"
                      + " checkpoint is untouched",
                  score, epoch + 1, s, step(model) - 1, schedule.lrAtStep(s)));
        }
        if (step(model) - lastLogStep >= train.logEverySteps()) {
          StepMeter.Reading now = meter.read();
          StepMeter.Reading interval = now.since(lastLog);
          double loss = interval.meanLoss(); // mean over the worker steps since the last line
          double roundWall = interval.wallSeconds() / (r + 1 - lastLogRound);
          double roundFit = interval.fitSeconds(workers) / (r + 1 - lastLogRound);
          lastLog = now;
          lastLogRound = r + 1;
          lastLogStep = step(model);
          double sec = (System.nanoTime() - t0) / 1e9;
          double doneFraction = (double) (r + 1) / rounds;
          double eta =
              sec / doneFraction * (train.epochs() - epoch - doneFraction); // this epoch's pace
          Map<String, Object> line = new LinkedHashMap<>();
          line.put("kind", "step");
          line.put("epoch", epoch + 1);
          line.put("step", step(model));
          line.put("loss", loss);
          line.put("lr", schedule.lrAtStep(step(model) - 1));
          line.put("img_per_s", (r + 1) * ep.roundImages() / sec);
          line.put("epoch_elapsed_s", sec);
          line.put("eta_s", eta);
          line.put("round_s", roundWall);
          line.put("round_fit_s", roundFit);
          LOG.info(
              String.format(
                  "epoch %d step %d (%d/%d this epoch) loss %.4f lr %.4e %.1f img/s, ETA %.0f s;"
                      + " round %.2f s, workers in fit %.2f s (%.0f%%)",
                  epoch + 1,
                  step(model),
                  (r + 1) * train.averagingFrequency(),
                  plan.stepsPerEpoch(),
                  loss,
                  schedule.lrAtStep(step(model) - 1),
                  (r + 1) * ep.roundImages() / sec,
                  eta,
                  roundWall,
                  roundFit,
                  100 * roundFit / roundWall));
          store.appendMetrics(line);
        }
      }
    }
    double sec = (System.nanoTime() - t0) / 1e9;
    StepMeter.Reading epochMeter = meter.read().since(epochStart);
    return new EpochStats(
        epochMeter.meanLoss(),
        epochMeter.steps(),
        sec,
        plan.imagesPerEpoch() / sec,
        epochMeter.fitSeconds(workers));
  }

  private void saveCheckpoint(
      CheckpointStore store,
      PretrainModel model,
      int epoch,
      Map<String, Object> metrics,
      LrSchedule schedule)
      throws IOException {
    double[][] norm = dataset.normalization(train.normalize());
    CheckpointState state =
        new CheckpointState(
            CheckpointState.FORMAT_VERSION,
            epoch,
            step(model),
            schedule.stepsPerEpoch(),
            schedule.lrAtStep(step(model) - 1),
            train.seed(),
            configText,
            dataset.digest(),
            dataset.uri(),
            norm[0],
            norm[1],
            metrics,
            Versions.current(),
            origin);
    Map<String, CheckpointStore.FileWriter> files = new LinkedHashMap<>();
    files.put(CheckpointStore.WEIGHTS, model::saveWeights);
    files.put(
        CheckpointStore.OPTIMIZER,
        out -> Nd4j.write(out, model.graph().getUpdater().getStateViewArray()));
    if (evaluation != null) {
      files.putAll(evaluation.checkpointFiles(model));
    }
    files.put(CheckpointStore.STATE, out -> out.write(state.toJson()));
    CheckpointStore.Checkpoint c = store.write(epoch, files);
    var deleted = store.retain(ckpt.keepLast(), ckpt.keepEvery());
    LOG.info("checkpoint {} written; retention removed epochs {}", c.dir(), deleted);
  }

  /** Loads a checkpoint into {@code model}; returns the epochs it had completed. */
  private int restore(
      CheckpointStore store, CheckpointStore.Checkpoint c, PretrainModel model, RunPlan plan)
      throws IOException {
    CheckpointState state;
    try (InputStream in = store.open(c, CheckpointStore.STATE)) {
      state = CheckpointState.read(in, c.dir().toString());
    }
    if (!store.exists(c, CheckpointStore.OPTIMIZER)) {
      throw new IllegalArgumentException(
          c.dir()
              + " has no "
              + CheckpointStore.OPTIMIZER
              + " (made by import?): nothing to resume; start a new run from it with"
              + " pretrain --init-from and another --checkpoints directory");
    }
    if (!java.util.Objects.equals(state.datasetDigest(), dataset.digest())) {
      throw new IllegalArgumentException(
          c.dir()
              + ": trained on dataset "
              + state.datasetDigest()
              + " ("
              + state.datasetUri()
              + "), this run reads "
              + dataset.digest()
              + " ("
              + dataset.uri()
              + "); resume needs the same dataset");
    }
    if (state.stepsPerEpoch() != plan.stepsPerEpoch() || state.seed() != train.seed()) {
      throw new IllegalArgumentException(
          c.dir()
              + ": checkpoint has "
              + state.stepsPerEpoch()
              + " steps/epoch and seed "
              + state.seed()
              + ", this run "
              + plan.stepsPerEpoch()
              + " and "
              + train.seed()
              + "; resuming would not continue the same schedule and data order");
    }
    try (InputStream in = store.open(c, CheckpointStore.WEIGHTS)) {
      model.loadWeights(in);
    }
    origin = state.origin();
    ComputationGraph g = model.graph();
    try (InputStream in = store.open(c, CheckpointStore.OPTIMIZER)) {
      INDArray st = Nd4j.read(in);
      g.getUpdater().getStateViewArray().assign(st);
    } catch (IOException e) {
      throw new UncheckedIOException(c.dir() + ": cannot read " + CheckpointStore.OPTIMIZER, e);
    }
    g.getConfiguration().setIterationCount((int) state.globalStep());
    g.getConfiguration().setEpochCount(state.epoch());
    return state.epoch();
  }
}
