package org.maespark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.databind.ObjectMapper;

class LrScheduleTest {

  @Test
  void followsOfficialWarmupThenHalfCycleCosine() {
    // 10 epochs, 2 warmup, 100 steps/epoch, peak 1e-3, min 1e-5
    LrSchedule s = new LrSchedule(1e-3, 1e-5, 2, 10, 100);
    assertEquals(0.0, s.lrAtStep(0), 0);
    assertEquals(1e-3 * 0.5 / 2, s.lrAtStep(50), 1e-15); // epoch 0.5 of 2 warmup
    assertEquals(1e-3, s.lrAtStep(200), 1e-15); // end of warmup = peak
    // halfway through the cosine (epoch 6): min + (peak-min)/2
    assertEquals(1e-5 + (1e-3 - 1e-5) * 0.5, s.lrAtStep(600), 1e-15);
    assertEquals(1e-5, s.lrAtStep(1000), 1e-15); // end = min
    // monotone down after warmup
    for (long i = 201; i < 1000; i++) {
      assertTrue(s.lrAtStep(i) <= s.lrAtStep(i - 1));
    }
  }

  @Test
  void matchesLrSchedPyAtAnArbitraryFractionalEpoch() {
    // lr_sched.py: epoch 3.37 of 12, warmup 1, lr 1.5e-3, min 0
    double expected = 0.5 * 1.5e-3 * (1 + Math.cos(Math.PI * (3.37 - 1) / (12 - 1)));
    assertEquals(expected, LrSchedule.lrAt(3.37, 1.5e-3, 0, 1, 12), 1e-18);
  }

  @Test
  void valueAtUsesTheGlobalIteration() {
    LrSchedule s = new LrSchedule(2e-3, 0, 1, 4, 10);
    assertEquals(s.lrAtStep(7), s.valueAt(7, 0), 0);
    assertEquals(s.lrAtStep(25), s.valueAt(25, 0), 0);
  }

  @Test
  void survivesDl4jJsonRoundTripAsISchedule() throws Exception {
    // DL4J serialises updater configs (with their schedules) as JSON with class names.
    ObjectMapper om = new ObjectMapper();
    LrSchedule s = new LrSchedule(1e-3, 1e-6, 3, 30, 17);
    String json = om.writeValueAsString(s);
    ISchedule back = om.readValue(json, ISchedule.class);
    assertEquals(s, back);
    assertEquals(s.valueAt(123, 0), back.valueAt(123, 0), 0);
  }
}
