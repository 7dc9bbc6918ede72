package org.maespark.eval;

import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;

/**
 * Evaluation in the training loop and in the {@code evaluate} command ({@code eval.*}).
 *
 * @param everyEpochs evaluate every this many epochs (and after the last); 0 = never in the loop
 * @param knnK neighbours in the kNN vote (DINO / MAE-style kNN: 20)
 * @param knnTemperature temperature of the exp(sim / T) vote weights (0.07)
 * @param maskSeed seed of the fixed validation masks (same masks every epoch)
 * @param maxTrain cap on training images used as the kNN bank (0 = all: the kNN is a Spark job)
 * @param maxVal cap on validation images evaluated (0 = all)
 * @param reconImages validation images in {@code recon.png}
 * @param probeEpochs linear-probe epochs in {@code evaluate} (0 = no probe)
 * @param probeLr linear-probe SGD learning rate (momentum 0.9, cosine)
 * @param probeBatch linear-probe batch size
 * @param batch images per forward pass when extracting features
 * @param probeMaxTrain cap on training features brought to the driver for the linear probe (0 = all
 *     of the kNN bank)
 */
public record EvalConfig(
    int everyEpochs,
    int knnK,
    double knnTemperature,
    long maskSeed,
    int maxTrain,
    int maxVal,
    int reconImages,
    int probeEpochs,
    double probeLr,
    int probeBatch,
    int batch,
    int probeMaxTrain) {

  public EvalConfig {
    if (everyEpochs < 0) {
      throw new ConfigException("config key 'eval.every' = " + everyEpochs + ": expected >= 0");
    }
    if (knnK <= 0) {
      throw new ConfigException("config key 'eval.knn_k' = " + knnK + ": expected > 0");
    }
    if (!(knnTemperature > 0)) {
      throw new ConfigException(
          "config key 'eval.knn_temperature' = " + knnTemperature + ": expected > 0");
    }
    if (probeMaxTrain < 0) {
      throw new ConfigException(
          "config key 'eval.probe_max_train' = " + probeMaxTrain + ": expected >= 0");
    }
    if (maxTrain < 0 || maxVal < 0) {
      throw new ConfigException(
          "config keys 'eval.max_train' / 'eval.max_val' = "
              + maxTrain
              + " / "
              + maxVal
              + ": expected >= 0");
    }
    if (reconImages <= 0) {
      throw new ConfigException(
          "config key 'eval.recon_images' = " + reconImages + ": expected > 0");
    }
    if (probeEpochs < 0 || !(probeLr > 0) || probeBatch <= 0 || batch <= 0) {
      throw new ConfigException(
          "config keys 'eval.probe_epochs' >= 0, 'eval.probe_lr' > 0, 'eval.probe_batch' > 0,"
              + " 'eval.batch' > 0 expected; got "
              + probeEpochs
              + ", "
              + probeLr
              + ", "
              + probeBatch
              + ", "
              + batch);
    }
  }

  public static EvalConfig fromSettings(Settings s) {
    return new EvalConfig(
        s.getInt("eval.every", 10),
        s.getInt("eval.knn_k", 20),
        s.getDouble("eval.knn_temperature", 0.07),
        s.getLong("eval.mask_seed", 1234L),
        s.getInt("eval.max_train", 0),
        s.getInt("eval.max_val", 0),
        s.getInt("eval.recon_images", 8),
        s.getInt("eval.probe_epochs", 10),
        s.getDouble("eval.probe_lr", 0.1),
        s.getInt("eval.probe_batch", 256),
        s.getInt("eval.batch", 256),
        s.getInt("eval.probe_max_train", 100_000));
  }

  /** Whether the loop evaluates after {@code epoch} (1-based) of {@code totalEpochs}. */
  public boolean dueAfter(int epoch, int totalEpochs) {
    return everyEpochs > 0 && (epoch % everyEpochs == 0 || epoch == totalEpochs);
  }
}
