package org.maespark.model;

import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;

/**
 * The official pretraining optimizer: AdamW with decoupled weight decay on weights and the cls /
 * mask tokens, none on biases and LayerNorm parameters; position embeddings are frozen constants.
 *
 * @param learningRate initial absolute learning rate (the driver sets it per iteration)
 * @param beta1 AdamW beta1 (0.9)
 * @param beta2 AdamW beta2 (0.95 in the MAE recipe)
 * @param epsilon AdamW epsilon (1e-8)
 * @param weightDecay decoupled weight decay (0.05 in the MAE recipe)
 */
public record MaeOptimizer(
    double learningRate, double beta1, double beta2, double epsilon, double weightDecay) {

  /** The MAE recipe (paper Table 8) at learning rate {@code lr}. */
  public static MaeOptimizer official(double lr) {
    return new MaeOptimizer(lr, 0.9, 0.95, 1e-8, 0.05);
  }

  public MaeOptimizer {
    if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
      throw new ConfigException("train.lr = " + learningRate + ": expected a finite value >= 0");
    }
    if (!(beta1 >= 0 && beta1 < 1)) {
      throw new ConfigException("train.beta1 = " + beta1 + ": expected in [0, 1)");
    }
    if (!(beta2 >= 0 && beta2 < 1)) {
      throw new ConfigException("train.beta2 = " + beta2 + ": expected in [0, 1)");
    }
    if (!(epsilon > 0)) {
      throw new ConfigException("train.epsilon = " + epsilon + ": expected > 0");
    }
    if (!(weightDecay >= 0)) {
      throw new ConfigException("train.weight_decay = " + weightDecay + ": expected >= 0");
    }
  }

  /**
   * Reads {@code train.beta1}, {@code train.beta2}, {@code train.epsilon}, {@code
   * train.weight_decay} (defaults: the recipe); the learning rate starts at {@code lr}.
   */
  public static MaeOptimizer fromSettings(Settings s, double lr) {
    MaeOptimizer d = official(lr);
    return new MaeOptimizer(
        lr,
        s.getDouble("train.beta1", d.beta1),
        s.getDouble("train.beta2", d.beta2),
        s.getDouble("train.epsilon", d.epsilon),
        s.getDouble("train.weight_decay", d.weightDecay));
  }

  /** The DL4J updater (its learning rate is changed later through the graph). */
  public AdamW updater() {
    return new AdamW(learningRate, beta1, beta2, epsilon);
  }
}
