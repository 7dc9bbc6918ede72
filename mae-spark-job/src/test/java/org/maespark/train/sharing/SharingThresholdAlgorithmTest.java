package org.maespark.train.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

class SharingThresholdAlgorithmTest {
  static final ISchedule LR =
      new MapSchedule.Builder(ScheduleType.ITERATION).add(0, 1e-2).add(10, 1e-4).build();

  static SharingThresholdAlgorithm algo(String run) {
    // multiple 0.1 of the LR, DL4J's adaptive rule on the multiple, floor 1e-6
    return new SharingThresholdAlgorithm(new AdaptiveThresholdAlgorithm(0.1), LR, 1e-6, run);
  }

  @Test
  void followsTheLrAndAdaptsTheMultiple() {
    SharingThresholdAlgorithm a = algo("follows");
    assertEquals(1e-3, a.calculateThreshold(0, 0, null, null, null, null), 1e-15);
    // too sparse (below the 1e-4 target): the multiple shrinks by DL4J's decay rate
    double decay = AdaptiveThresholdAlgorithm.DEFAULT_DECAY_RATE;
    assertEquals(1e-3 * decay, a.calculateThreshold(1, 0, 1e-3, false, 0.0, null), 1e-15);
    // the LR drops 100x: so does the threshold (sparsity in the target band keeps the multiple)
    assertEquals(1e-5 * decay, a.calculateThreshold(10, 0, 1e-3, false, 1e-3, null), 1e-15);
  }

  @Test
  void aFreshCloneContinuesFromTheLastMultipleOfTheRun() {
    SharingThresholdAlgorithm a = algo("continues");
    a.calculateThreshold(0, 0, null, null, null, null);
    a.calculateThreshold(1, 0, 1e-3, false, 0.0, null); // multiple 0.1 * decay
    // a new training thread starts from a clone of the initial algorithm (DL4J EncodingHandler)
    double decay = AdaptiveThresholdAlgorithm.DEFAULT_DECAY_RATE;
    assertEquals(
        1e-3 * decay,
        algo("continues").clone().calculateThreshold(2, 0, null, null, null, null),
        1e-15);
    // another run's memory is separate
    assertEquals(1e-3, algo("other run").calculateThreshold(2, 0, null, null, null, null), 1e-15);
  }

  @Test
  void neverBelowTheFloor() {
    SharingThresholdAlgorithm a =
        new SharingThresholdAlgorithm(new AdaptiveThresholdAlgorithm(1e-6), LR, 1e-7, "floor");
    assertEquals(1e-7, a.calculateThreshold(10, 0, null, null, null, null), 1e-20);
  }
}
