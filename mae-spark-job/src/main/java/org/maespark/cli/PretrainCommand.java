package org.maespark.cli;

import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.maespark.checkpoint.CheckpointConfig;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.checkpoint.InitWeights;
import org.maespark.command.GlobalOptions;
import org.maespark.command.OutputGuard;
import org.maespark.command.SparkSessions;
import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;
import org.maespark.data.DataPrepConfig;
import org.maespark.eval.EvalConfig;
import org.maespark.eval.Evaluator;
import org.maespark.input.DatasetInfo;
import org.maespark.model.MaeConfig;
import org.maespark.model.MaeOptimizer;
import org.maespark.model.MaeWeights;
import org.maespark.train.MaeTrainModel;
import org.maespark.train.Pretrainer;
import org.maespark.train.TrainConfig;
import org.maespark.train.sharing.SharingConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pretrain}: dataset -> checkpoints. */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = "Pretrain an MAE on a data-prep dataset.")
final class PretrainCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(PretrainCommand.class);

  @Mixin GlobalOptions options;

  @Option(names = "--dataset", required = true, description = "data-prep output (any Hadoop URI).")
  String dataset;

  @Option(names = "--checkpoints", description = "Checkpoint root (overrides checkpoint.dir).")
  String checkpoints;

  @Option(
      names = "--resume",
      defaultValue = "auto",
      description =
          "auto: continue from the newest complete checkpoint if any; never: start fresh"
              + " (refuses a directory that already has checkpoints).")
  String resume;

  /** {@code --resume}: whether a run continues from the newest complete checkpoint. */
  enum Resume {
    AUTO,
    NEVER;

    static Resume parse(String s) {
      for (Resume r : values()) {
        if (Settings.configName(r).equals(s)) {
          return r;
        }
      }
      throw new ConfigException("--resume = '" + s + "': expected auto or never");
    }
  }

  @Option(
      names = "--init-from",
      description =
          "Start a new run (epoch 0, fresh optimizer and schedule) from these weights: a checkpoint"
              + " (directory or root) or a safetensors file (official, timm, Hugging Face, encoder"
              + " only). A run that resumes from its own checkpoint ignores it.")
  String initFrom;

  @Option(
      names = "--stop-after-epoch",
      defaultValue = "0",
      description =
          "Stop once this many epochs are done (a budget for preemptible runs; 0 = none).")
  int stopAfterEpoch;

  /** Everything a run needs, resolved and validated before Spark starts. */
  record Resolved(
      Settings settings,
      MaeConfig model,
      TrainConfig train,
      CheckpointConfig ckpt,
      EvalConfig eval) {}

  /**
   * Reads every section a shared preset may hold (model, optimizer, train, checkpoint, eval,
   * data-prep's data) so that only true typos remain unknown, then refuses those.
   */
  static void resolveKnownKeys(Settings s) {
    MaeConfig.fromSettings(s);
    MaeOptimizer.fromSettings(s, 0.0);
    TrainConfig.fromSettings(s);
    SharingConfig.fromSettings(s);
    CheckpointConfig.fromSettings(s);
    EvalConfig.fromSettings(s);
    DataPrepConfig.fromSettings(s);
    s.requireAllKnown();
  }

  static Resolved resolve(Settings s, String checkpointsOverride) {
    if (checkpointsOverride != null) {
      s = s.with("checkpoint.dir", checkpointsOverride);
    }
    MaeConfig model = MaeConfig.fromSettings(s);
    MaeOptimizer.fromSettings(s, 0.0); // validates the optimizer keys
    TrainConfig train = TrainConfig.fromSettings(s);
    SharingConfig.fromSettings(s); // validates the gradient-sharing keys
    CheckpointConfig ckpt = CheckpointConfig.fromSettings(s);
    EvalConfig eval = EvalConfig.fromSettings(s);
    DataPrepConfig.fromSettings(s); // a preset may carry data-prep's keys for the same run
    s.requireAllKnown();
    if (ckpt.dir() == null || ckpt.dir().isBlank()) {
      throw new ConfigException("no checkpoint directory: give --checkpoints or checkpoint.dir");
    }
    return new Resolved(s, model, train, ckpt, eval);
  }

  private MaeTrainModel initialised(MaeTrainModel m, InitWeights init) {
    if (init != null) {
      MaeWeights.apply(m.mae(), init.stateDict(), initFrom);
      LOG.info("initialised from {}: {}", initFrom, init.origin());
    }
    return m;
  }

  @Override
  public Integer call() throws Exception {
    Resume resumeMode = Resume.parse(resume);
    Resolved r = resolve(options.settings(), checkpoints);
    LOG.info("resolved configuration:\n{}", r.settings().toPropertiesText());
    try (SparkSessions.Job job = SparkSessions.open("mae-pretrain")) {
      SparkSession spark = job.spark();
      DatasetInfo data = DatasetInfo.read(dataset, spark.sparkContext().hadoopConfiguration());
      data.checkFits(r.model().imgSize(), r.model().patch(), r.model().inChans());
      Configuration hc = spark.sparkContext().hadoopConfiguration();
      var store = CheckpointStore.open(r.ckpt().dir(), hc);
      Path ds = new Path(dataset);
      OutputGuard.refuseOverlap(
          "dataset", ds.getFileSystem(hc).makeQualified(ds), "checkpoint root", store.root());
      store.requireOwnRoot();
      if (resumeMode == Resume.NEVER) {
        if (store.newestComplete().isPresent()) {
          throw new ConfigException(
              r.ckpt().dir() + " already holds checkpoints; use --resume auto or a new directory");
        }
      }
      // always: recon.png goes into every checkpoint; metrics only every eval.every epochs
      Evaluator eval = new Evaluator(spark, data, r.train().normalize(), r.eval(), false);
      InitWeights init =
          initFrom == null
              ? null
              : InitWeights.read(
                  initFrom,
                  r.settings(),
                  r.train().seed(),
                  spark.sparkContext().hadoopConfiguration());
      Pretrainer.Result res =
          new Pretrainer(
                  spark,
                  r.settings().toPropertiesText(),
                  r.train(),
                  r.ckpt(),
                  r.eval(),
                  data,
                  seed -> initialised(MaeTrainModel.create(r.settings(), seed), init),
                  eval)
              .startingFrom(init == null ? null : init.origin())
              .run(resumeMode == Resume.AUTO, stopAfterEpoch);
      System.out.printf(
          "pretrain: %d epochs done, step %d, last train loss %.4f; checkpoints in %s%n",
          res.epochsDone(), res.globalStep(), res.lastLoss(), r.ckpt().dir());
      return 0;
    }
  }
}
