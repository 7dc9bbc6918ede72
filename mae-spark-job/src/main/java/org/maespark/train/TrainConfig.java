package org.maespark.train;

import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;
import org.maespark.input.Augment;
import org.maespark.input.Normalize;

/**
 * The pretraining recipe ({@code train.*}). Defaults are the paper's ViT-B recipe (He et al. 2022,
 * Table 8 and the official {@code main_pretrain.py}): blr 1.5e-4, 800 epochs, 40 warmup epochs,
 * effective batch 4096. The optimizer's own keys ({@code train.weight_decay} 0.05, {@code
 * train.beta1/beta2} 0.9/0.95, {@code train.epsilon}) are read by mae-model's {@code MaeOptimizer}.
 *
 * @param epochs total epochs of the schedule
 * @param warmupEpochs epochs of linear warmup from 0 to the absolute LR
 * @param baseLr base LR; absolute LR = baseLr * effective batch / 256 (official rule)
 * @param minLr LR the half-cycle cosine ends at
 * @param batchPerWorker images per worker per step
 * @param workers Spark training workers (executor cores doing fit); 0 = Spark's default parallelism
 * @param seed the one seed every random draw of the run derives from
 * @param augment {@code rrc} (RandomResizedCrop + flip), {@code flip} (centre view, random
 *     horizontal flip) or {@code none} (centre view only)
 * @param normalize per-channel mean/std: {@code manifest} (the dataset's train statistics) or
 *     {@code imagenet} (the constants MAE uses)
 * @param trainer {@code parameter_averaging} or {@code gradient_sharing}
 * @param averagingFrequency steps each worker takes between parameter averagings
 * @param prefetch minibatches each worker prefetches asynchronously
 * @param threshold gradient sharing: initial encoding threshold as a fraction of the workers'
 *     current LR; each step sends at most +-threshold per element (the rest waits in the residual),
 *     so much below an Adam update's size (about the LR) it slows learning, much above it delays
 *     every update; adapted to DL4J's sparsity target from there
 * @param thresholdMin gradient sharing: absolute lower bound of the adaptive threshold
 * @param logEverySteps progress line every this many steps (besides the per-epoch line)
 * @param maxStepsPerEpoch cap on steps per epoch (0 = the whole split); for smoke runs and tests
 */
public record TrainConfig(
    int epochs,
    int warmupEpochs,
    double baseLr,
    double minLr,
    int batchPerWorker,
    int workers,
    long seed,
    Augment augment,
    Normalize normalize,
    Trainer trainer,
    int averagingFrequency,
    int prefetch,
    double threshold,
    double thresholdMin,
    int logEverySteps,
    int maxStepsPerEpoch) {

  /** {@code train.trainer}: how the workers' updates meet. */
  public enum Trainer {
    /** DL4J's ParameterAveragingTrainingMaster: average the parameters every few steps. */
    PARAMETER_AVERAGING,
    /** DL4J's SharedTrainingMaster: threshold-encoded updates shared every step. */
    GRADIENT_SHARING
  }

  public TrainConfig {
    positive("train.epochs", epochs);
    if (warmupEpochs < 0 || warmupEpochs >= epochs) {
      throw new ConfigException(
          "config key 'train.warmup_epochs' = "
              + warmupEpochs
              + ": expected 0 <= warmup_epochs < train.epochs ("
              + epochs
              + ")");
    }
    if (!(baseLr > 0) || !Double.isFinite(baseLr)) {
      throw new ConfigException("config key 'train.blr' = " + baseLr + ": expected > 0");
    }
    if (!(minLr >= 0) || minLr > baseLr) {
      throw new ConfigException(
          "config key 'train.min_lr' = " + minLr + ": expected 0 <= min_lr <= train.blr");
    }
    positive("train.batch_per_worker", batchPerWorker);
    if (workers < 0) {
      throw new ConfigException("config key 'train.workers' = " + workers + ": expected >= 0");
    }
    positive("train.averaging_frequency", averagingFrequency);
    if (prefetch < 0) {
      throw new ConfigException("config key 'train.prefetch' = " + prefetch + ": expected >= 0");
    }
    if (!(threshold > 0) || !(thresholdMin > 0) || thresholdMin > threshold) {
      throw new ConfigException(
          "config keys 'train.threshold' = "
              + threshold
              + ", 'train.threshold_min' = "
              + thresholdMin
              + ": expected 0 < threshold_min <= threshold");
    }
    positive("train.log_every_steps", logEverySteps);
    if (maxStepsPerEpoch < 0) {
      throw new ConfigException(
          "config key 'train.max_steps_per_epoch' = " + maxStepsPerEpoch + ": expected >= 0");
    }
  }

  private static void positive(String key, int v) {
    if (v <= 0) {
      throw new ConfigException("config key '" + key + "' = " + v + ": expected > 0");
    }
  }

  /** Reads {@code train.*}; absent keys take the paper's defaults. */
  public static TrainConfig fromSettings(Settings s) {
    return new TrainConfig(
        s.getInt("train.epochs", 800),
        s.getInt("train.warmup_epochs", 40),
        s.getDouble("train.blr", 1.5e-4),
        s.getDouble("train.min_lr", 0.0),
        s.getInt("train.batch_per_worker", 64),
        s.getInt("train.workers", 0),
        s.getLong("train.seed", 0L),
        s.getEnum("train.augment", Augment.RRC, Augment.class),
        s.getEnum("train.normalize", Normalize.MANIFEST, Normalize.class),
        s.getEnum("train.trainer", Trainer.PARAMETER_AVERAGING, Trainer.class),
        s.getInt("train.averaging_frequency", 1),
        s.getInt("train.prefetch", 2),
        s.getDouble("train.threshold", 1.0),
        s.getDouble("train.threshold_min", 1e-5),
        s.getInt("train.log_every_steps", 200),
        s.getInt("train.max_steps_per_epoch", 0));
  }

  /** Workers actually used: the configured count, or Spark's default parallelism when 0. */
  public int resolveWorkers(int defaultParallelism) {
    return workers > 0 ? workers : Math.max(1, defaultParallelism);
  }
}
