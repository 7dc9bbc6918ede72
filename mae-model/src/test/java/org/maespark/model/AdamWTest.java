package org.maespark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.maespark.conf.ConfigException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;

class AdamWTest {
  /** torch.optim.AdamW's step without decay, in double. */
  private static double[] torchSteps(double[] grads, double lr, double b1, double b2, double eps) {
    double m = 0;
    double v = 0;
    double[] updates = new double[grads.length];
    for (int t = 1; t <= grads.length; t++) {
      double g = grads[t - 1];
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
      updates[t - 1] = lr / (1 - Math.pow(b1, t)) * m / denom;
    }
    return updates;
  }

  private static double[] run(GradientUpdater<?> u, double[] grads) {
    double[] out = new double[grads.length];
    for (int t = 0; t < grads.length; t++) {
      INDArray g = Nd4j.scalar(DataType.FLOAT, grads[t]).reshape(1, 1);
      u.applyUpdater(g, t, 0);
      out[t] = g.getDouble(0);
    }
    return out;
  }

  @Test
  void matchesTorchIncludingGradientsNearEpsilon() {
    double[] grads = {3e-9, -1e-8, 2e-9, 5e-3, -4e-3};
    double[] want = torchSteps(grads, 1e-3, 0.9, 0.95, 1e-8);
    double[] ours =
        run(
            new AdamW(1e-3, 0.9, 0.95, 1e-8).instantiate(Nd4j.zeros(DataType.FLOAT, 1, 2), true),
            grads);
    double[] dl4j =
        run(
            new Adam(1e-3, 0.9, 0.95, 1e-8).instantiate(Nd4j.zeros(DataType.FLOAT, 1, 2), true),
            grads);
    for (int t = 0; t < grads.length; t++) {
      assertEquals(want[t], ours[t], 1e-6 * Math.abs(want[t]) + 1e-12, "step " + (t + 1));
    }
    // DL4J's Adam puts eps before the bias correction: visibly different for |g| near eps
    assertTrue(
        Math.abs(dl4j[0] - want[0]) > 0.1 * Math.abs(want[0]),
        "DL4J Adam " + dl4j[0] + " vs torch " + want[0]);
  }

  @Test
  void optimizerSettingsAreValidated() {
    assertThrows(ConfigException.class, () -> new MaeOptimizer(1e-3, 1.0, 0.95, 1e-8, 0.05));
    assertThrows(ConfigException.class, () -> new MaeOptimizer(-1, 0.9, 0.95, 1e-8, 0.05));
    ConfigException e =
        assertThrows(ConfigException.class, () -> new MaeOptimizer(1e-3, 0.9, 0.95, 1e-8, -0.1));
    assertTrue(e.getMessage().contains("train.weight_decay = -0.1"), e.getMessage());
  }
}
