package org.maespark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.maespark.checkpoint.CheckpointConfig;
import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;
import org.maespark.eval.EvalConfig;
import org.maespark.input.Augment;

class TrainConfigTest {

  @Test
  void defaultsAreThePaperRecipe() {
    TrainConfig t = TrainConfig.fromSettings(Settings.empty());
    assertEquals(800, t.epochs());
    assertEquals(40, t.warmupEpochs());
    assertEquals(1.5e-4, t.baseLr());
    assertEquals(TrainConfig.Trainer.PARAMETER_AVERAGING, t.trainer());
    assertEquals(Augment.RRC, t.augment());
    EvalConfig e = EvalConfig.fromSettings(Settings.empty());
    assertEquals(20, e.knnK());
    assertEquals(0.07, e.knnTemperature());
  }

  @Test
  void paperEffectiveBatchGivesPaperAbsoluteLr() {
    // 64 workers x 64 = 4096 -> lr = 1.5e-4 * 4096 / 256 = 2.4e-3 (MAE Table 8)
    TrainConfig t = TrainConfig.fromSettings(Settings.empty());
    RunPlan p = RunPlan.derive(t, 64, 1_281_167);
    assertEquals(4096, p.effectiveBatch());
    assertEquals(2.4e-3, p.absoluteLr(), 1e-15);
    assertEquals(1_281_167 / 4096, p.stepsPerEpoch());
    assertTrue(p.explain(t, 1_281_167).contains("4096 = 64 workers x 64 per worker"));
  }

  @Test
  void stepsAreWholeAveragingRoundsAndCanBeCapped() {
    Settings s =
        Settings.load(
            null,
            List.of(
                "train.batch_per_worker=8",
                "train.averaging_frequency=3",
                "train.epochs=4",
                "train.warmup_epochs=1"));
    TrainConfig t = TrainConfig.fromSettings(s);
    RunPlan p = RunPlan.derive(t, 2, 1000); // 1000 / (16 * 3) = 20 rounds
    assertEquals(60, p.stepsPerEpoch());
    assertEquals(960, p.imagesPerEpoch());
    TrainConfig capped =
        TrainConfig.fromSettings(s.with("train.max_steps_per_epoch", "10")); // -> 3 rounds
    assertEquals(9, RunPlan.derive(capped, 2, 1000).stepsPerEpoch());
    assertThrows(IllegalArgumentException.class, () -> RunPlan.derive(t, 2, 40));
  }

  @Test
  void badValuesNameTheKeyAndValue() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                TrainConfig.fromSettings(
                    Settings.load(null, List.of("train.epochs=10", "train.warmup_epochs=10"))));
    assertTrue(e.getMessage().contains("train.warmup_epochs"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> TrainConfig.fromSettings(Settings.load(null, List.of("train.trainer=horovod"))));
    assertTrue(e.getMessage().contains("'train.trainer' = 'horovod'"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () ->
                CheckpointConfig.fromSettings(
                    Settings.load(null, List.of("checkpoint.keep_last=0"))));
    assertTrue(e.getMessage().contains("checkpoint.keep_last"), e.getMessage());
  }

  @Test
  void checkpointAndEvalCadence() {
    CheckpointConfig c = new CheckpointConfig("x", 5, 2, 0);
    assertTrue(c.dueAfter(5, 12));
    assertTrue(!c.dueAfter(6, 12));
    assertTrue(c.dueAfter(12, 12));
    EvalConfig never = EvalConfig.fromSettings(Settings.load(null, List.of("eval.every=0")));
    assertTrue(!never.dueAfter(12, 12));
  }
}
