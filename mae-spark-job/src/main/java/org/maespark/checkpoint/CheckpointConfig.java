package org.maespark.checkpoint;

import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;

/**
 * Where and how often checkpoints are written ({@code checkpoint.*}).
 *
 * @param dir checkpoint root on any Hadoop filesystem (required for pretraining)
 * @param everyEpochs write a checkpoint every this many epochs (and always after the last)
 * @param keepLast keep the newest this many checkpoints
 * @param keepEvery also keep every checkpoint whose epoch is a multiple of this (0 = none)
 */
public record CheckpointConfig(String dir, int everyEpochs, int keepLast, int keepEvery) {

  public CheckpointConfig {
    if (everyEpochs <= 0) {
      throw new ConfigException("config key 'checkpoint.every' = " + everyEpochs + ": > 0");
    }
    if (keepLast <= 0) {
      throw new ConfigException(
          "config key 'checkpoint.keep_last' = " + keepLast + ": expected > 0");
    }
    if (keepEvery < 0) {
      throw new ConfigException(
          "config key 'checkpoint.keep_every' = " + keepEvery + ": expected >= 0");
    }
  }

  public static CheckpointConfig fromSettings(Settings s) {
    return new CheckpointConfig(
        s.getString("checkpoint.dir", null),
        s.getInt("checkpoint.every", 20),
        s.getInt("checkpoint.keep_last", 3),
        s.getInt("checkpoint.keep_every", 100));
  }

  /** Whether a checkpoint is due after {@code epoch} (1-based) of {@code totalEpochs}. */
  public boolean dueAfter(int epoch, int totalEpochs) {
    return epoch % everyEpochs == 0 || epoch == totalEpochs;
  }
}
