package org.maespark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The hand-written training step ({@link MaeStep}) against SameDiff's automatic gradients of the
 * same {@link MaeGraph}, for both encoders. The parity fixtures cover the asymmetric encoder
 * against the reference; the all-token encoder (enc_mask_token, no decoder mask tokens) has no
 * fixture, so this is its gradient check. Odd shapes on purpose: 3 heads in the decoder, batch 3.
 */
class MaeStepTest {
  /**
   * The build runs this class and the parity tests twice: with the JDK's vector module (SIMD loops)
   * and, in surefire's {@code scalar-loops} execution, without it ({@code mae.test.simd}).
   */
  @Test
  void runsTheElementLoopsThisJvmIsMeantFor() {
    assertEquals(Boolean.parseBoolean(System.getProperty("mae.test.simd", "true")), Rows.VECTOR);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void gradientsAndLossMatchSameDiff(boolean allTokens) {
    MaeConfig c = new MaeConfig(16, 4, 3, 24, 2, 2, 24, 2, 3, 2.0, 0.75, true, allTokens);
    MaeModel m = MaeModel.create(c, 7);
    Nd4j.getRandom().setSeed(11);
    int n = 3;
    INDArray imgs = Nd4j.randn(DataType.FLOAT, n, c.imageDim());
    INDArray noise = Nd4j.rand(DataType.FLOAT, n, c.numPatches());
    // Perturb the zero-initialized biases and unit norm gains so that their gradients matter.
    for (INDArray p : m.params().values()) {
      p.addi(Nd4j.randn(DataType.FLOAT, p.shape()).muli(0.05));
    }

    ComputationGraph g = m.graph();
    g.setInputs(imgs);
    g.setLabels(noise);
    g.computeGradientAndScore();
    Map<String, INDArray> got = g.gradient().gradientForVariable();
    double score = g.score();

    SameDiff sd = SameDiff.create();
    SDVariable in = sd.placeHolder(MaeGraph.INPUT_PH, DataType.FLOAT, -1, c.imageDim());
    SDVariable ns = sd.placeHolder(MaeGraph.NOISE_PH, DataType.FLOAT, -1, c.numPatches());
    Map<String, SDVariable> vars = new HashMap<>();
    List<String> names = new ArrayList<>();
    for (MaeParams.Spec p : MaeParams.of(c).specs()) {
      vars.put(p.graphName(), sd.var(p.graphName(), m.params().get(p.key()).dup()));
      names.add(p.graphName());
    }
    new MaeGraph(sd, c, vars).forward(in, ns);
    Map<String, INDArray> ph = Map.of(MaeGraph.INPUT_PH, imgs, MaeGraph.NOISE_PH, noise);
    Map<String, INDArray> want = sd.calculateGradients(ph, names);
    double lossSum = sd.output(ph, MaeGraph.LOSS_SUM).get(MaeGraph.LOSS_SUM).getDouble(0);

    assertEquals(lossSum / n, score, 1e-6 * Math.abs(lossSum / n), "score");
    for (String name : names) {
      INDArray w = want.get(name).castTo(DataType.DOUBLE);
      INDArray h = got.get(MaeModel.LAYER + "_" + name);
      assertTrue(h != null, "no gradient for " + name);
      double scale = w.amaxNumber().doubleValue();
      double err = h.castTo(DataType.DOUBLE).reshape(w.shape()).sub(w).amaxNumber().doubleValue();
      assertTrue(scale > 0, name + ": zero SameDiff gradient, the check would prove nothing");
      assertTrue(
          err <= 1e-4 * scale,
          name
              + ": max error "
              + err
              + " over max |grad| "
              + scale
              + " (all tokens "
              + allTokens
              + ")");
    }
  }
}
