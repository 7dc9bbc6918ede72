package org.maespark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Numerical parity with the PyTorch reference over a fixture of {@code make_parity_fixture.py}
 * (tolerances from its summary.json). Any fixture directory: {@code -Dmae.parity.fixture=DIR}.
 */
class ParityTest {
  private static java.util.List<ParityFixture> fixtures;
  private ParityFixture fx;
  private INDArray imgs;
  private INDArray noise;

  @BeforeAll
  static void load() throws Exception {
    fixtures = ParityFixture.selected();
  }

  static java.util.stream.Stream<String> fixtureNames() throws Exception {
    if (fixtures == null) {
      load();
    }
    return fixtures.stream().map(ParityFixture::source);
  }

  private void use(String source) {
    fx = fixtures.stream().filter(f -> f.source().equals(source)).findFirst().orElseThrow();
    imgs = fx.get("input.imgs");
    noise = fx.get("input.noise");
    System.out.println("PARITY fixture " + source);
  }

  private MaeModel model(MaeConfig c, MaeOptimizer opt) throws Exception {
    MaeModel m = MaeModel.create(c, 1, opt);
    MaeWeights.load(
        m, new ByteArrayInputStream(fx.weights()), fx.source() + "/weights.safetensors");
    return m;
  }

  @ParameterizedTest
  @MethodSource("fixtureNames")
  void forwardMatchesLossPredMaskAndEveryIntermediate(String fixture) throws Exception {
    use(fixture);
    MaeModel m = model(fx.config(), MaeOptimizer.official(1e-3));
    Map<String, INDArray> out =
        m.run(
            imgs,
            noise,
            MaeGraph.LOSS,
            MaeGraph.PRED,
            MaeGraph.MASK,
            MaeGraph.IDS_RESTORE,
            MaeGraph.TARGET,
            MaeGraph.PATCH_EMBED_OUT,
            MaeGraph.ENCODER_IN,
            MaeGraph.LATENT,
            MaeGraph.DECODER_IN,
            MaeGraph.DECODER_OUT);
    assertRel(
        "loss", fx.get("expected.loss").getDouble(0), out.get(MaeGraph.LOSS).getDouble(0), 1e-5);
    assertAbs("pred", fx.get("expected.pred"), out.get(MaeGraph.PRED), 1e-4);
    assertAbs("mask", fx.get("expected.mask"), out.get(MaeGraph.MASK), 0);
    assertAbs("ids_restore", fx.get("expected.ids_restore"), out.get(MaeGraph.IDS_RESTORE), 0);
    assertAbs("target", fx.get("expected.target"), out.get(MaeGraph.TARGET), 1e-4);
    assertAbs(
        "patch_embed_out",
        fx.get("expected.patch_embed_out"),
        out.get(MaeGraph.PATCH_EMBED_OUT),
        1e-4);
    assertAbs("encoder_in", fx.get("expected.encoder_in"), out.get(MaeGraph.ENCODER_IN), 1e-4);
    assertAbs("latent", fx.get("expected.latent"), out.get(MaeGraph.LATENT), 1e-4);
    assertAbs("decoder_in", fx.get("expected.decoder_in"), out.get(MaeGraph.DECODER_IN), 1e-4);
    assertAbs("decoder_out", fx.get("expected.decoder_out"), out.get(MaeGraph.DECODER_OUT), 1e-4);

    MaeOutput o = m.forward(imgs, noise);
    assertEquals(out.get(MaeGraph.LOSS).getDouble(0), o.loss(), 0.0);
    assertEquals(DataType.LONG, o.idsRestore().dataType());

    // the DL4J score of the training graph is the same loss (output layer sum / N)
    ComputationGraph g = m.graph();
    double score = g.score(MaeModel.batch(imgs, noise), false);
    assertRel("DL4J score", fx.get("expected.loss").getDouble(0), score, 1e-5);
  }

  @ParameterizedTest
  @MethodSource("fixtureNames")
  void lossWithoutNormPixMatches(String fixture) throws Exception {
    use(fixture);
    MaeConfig c = fx.config();
    MaeConfig plain =
        new MaeConfig(
            c.imgSize(),
            c.patch(),
            c.inChans(),
            c.embedDim(),
            c.depth(),
            c.heads(),
            c.decoderEmbedDim(),
            c.decoderDepth(),
            c.decoderHeads(),
            c.mlpRatio(),
            c.maskRatio(),
            !c.normPixLoss(),
            false);
    String key = c.normPixLoss() ? "expected.loss_no_norm_pix" : "expected.loss";
    if (!fx.tensors().containsKey(key)) {
      key = "expected.loss";
    }
    MaeModel m = model(c.normPixLoss() ? plain : c, MaeOptimizer.official(1e-3));
    assertRel(key, fx.get(key).getDouble(0), m.forward(imgs, noise).loss(), 1e-5);
  }

  /**
   * The gradient DL4J's updater applies: the layer's gradient after the updater's division by the
   * minibatch size, read back through plain SGD with lr 1 (update = gradient). This settles the
   * "2x" question of STACK.md for this layer: a doubled gradient would fail here.
   */
  @ParameterizedTest
  @MethodSource("fixtureNames")
  void gradientsAsTheUpdaterSeesThemMatch(String fixture) throws Exception {
    use(fixture);
    MaeLayer layer = new MaeLayer(fx.config(), MaeOptimizer.official(1e-3), 1);
    layer.setUpdater(new Sgd(1.0));
    layer.setRegularization(new java.util.ArrayList<>());
    ComputationGraph g = new ComputationGraph(MaeModel.configuration(layer, 1));
    g.init();
    MaeModel m = MaeModel.of(g);
    MaeWeights.load(m, new ByteArrayInputStream(fx.weights()), "weights");

    g.setInputs(MaeModel.batch(imgs, noise).getFeatures());
    g.setLabels(noise);
    g.computeGradientAndScore();
    Gradient grad = g.gradient();
    g.getUpdater().update(grad, 0, 0, (int) imgs.size(0), LayerWorkspaceMgr.noWorkspaces());
    Map<String, INDArray> byGraphName = grad.gradientForVariable();
    int checked = 0;
    for (MaeParams.Spec p : MaeParams.of(fx.config()).specs()) {
      INDArray want = fx.get("grad." + p.key());
      INDArray got = byGraphName.get(MaeModel.LAYER + "_" + p.graphName());
      assertTrue(got != null, "no DL4J gradient for " + p.key());
      assertRelToMax("grad." + p.key(), want, got.reshape(want.shape()), 1e-4);
      checked++;
    }
    assertEquals(
        fx.summary().get("tensors").properties().stream()
            .filter(e -> e.getKey().startsWith("grad."))
            .count(),
        checked);
  }

  /**
   * Parameters after one and two AdamW steps. Elements whose reference gradient is rounding noise
   * (below 1e-6 of the tensor's largest, e.g. the key part of qkv.bias: softmax is invariant to a
   * key bias, so that gradient is analytically zero and torch reports ~1e-10) are not compared
   * value by value: AdamW turns noise g into lr * g / (|g| + eps), so the reference's own value
   * there is set by float rounding, not by the algorithm. For them the test asserts what AdamW
   * guarantees, a step no larger than lr (+ decay) per iteration; all other elements match to 1e-4.
   */
  @ParameterizedTest
  @MethodSource("fixtureNames")
  void twoAdamWStepsMatch(String fixture) throws Exception {
    use(fixture);
    double lr = fx.summary().get("adamw").get("lr").asDouble();
    MaeModel m = model(fx.config(), MaeOptimizer.official(lr));
    Map<String, INDArray> before = new java.util.HashMap<>();
    m.params().forEach((k, v) -> before.put(k, v.dup()));
    org.nd4j.linalg.dataset.MultiDataSet batch = MaeModel.batch(imgs, noise);
    m.graph().fit(batch);
    assertSteps("adamw_step1.", m, before, lr, 1);
    m.graph().fit(batch);
    assertRel("loss_step2", fx.get("expected.loss_step2").getDouble(0), m.graph().score(), 1e-5);
    assertSteps("adamw_step2.", m, before, lr, 2);
  }

  private void assertSteps(
      String prefix, MaeModel m, Map<String, INDArray> before, double lr, int steps) {
    long noisy = 0;
    for (Map.Entry<String, INDArray> e : m.params().entrySet()) {
      INDArray want = fx.get(prefix + e.getKey()).castTo(DataType.DOUBLE);
      INDArray got = e.getValue().castTo(DataType.DOUBLE);
      INDArray g = fx.get("grad." + e.getKey()).castTo(DataType.DOUBLE);
      double noiseLevel = 1e-6 * g.amaxNumber().doubleValue();
      INDArray isNoise =
          org.nd4j.linalg.ops.transforms.Transforms.abs(g)
              .lte(noiseLevel)
              .castTo(DataType.DOUBLE)
              .reshape(want.shape());
      INDArray err = org.nd4j.linalg.ops.transforms.Transforms.abs(got.sub(want));
      double maxErr = err.mul(isNoise.rsub(1.0)).maxNumber().doubleValue();
      INDArray moved =
          org.nd4j.linalg.ops.transforms.Transforms.abs(
              got.sub(before.get(e.getKey()).castTo(DataType.DOUBLE)));
      double maxNoiseMove = moved.mul(isNoise).maxNumber().doubleValue();
      noisy += isNoise.sumNumber().longValue();
      String what = prefix + e.getKey();
      System.out.printf("PARITY %-44s max abs %.3e%n", what, maxErr);
      assertTrue(maxErr <= 1e-4, what + ": max abs error " + maxErr + " > 1e-4");
      assertTrue(
          maxNoiseMove <= steps * lr * 1.01,
          what
              + ": an element with a zero gradient moved "
              + maxNoiseMove
              + " > "
              + steps
              + " * lr");
    }
    System.out.printf("PARITY %-44s %d elements with rounding-noise gradients%n", prefix, noisy);
  }

  static void assertRel(String what, double want, double got, double tol) {
    double rel = Math.abs(got - want) / Math.max(Math.abs(want), 1e-12);
    System.out.printf("PARITY %-44s rel %.3e%n", what, rel);
    assertTrue(
        rel <= tol, what + ": got " + got + ", want " + want + " (rel " + rel + " > " + tol + ")");
  }

  static void assertAbs(String what, INDArray want, INDArray got, double tol) {
    assertTrue(
        Arrays.equals(want.shape(), got.shape()),
        what
            + ": shape "
            + Arrays.toString(got.shape())
            + ", want "
            + Arrays.toString(want.shape()));
    double err =
        got.castTo(DataType.DOUBLE).sub(want.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    System.out.printf("PARITY %-44s max abs %.3e%n", what, err);
    assertTrue(err <= tol, what + ": max abs error " + err + " > " + tol);
  }

  static void assertRelToMax(String what, INDArray want, INDArray got, double tol) {
    double scale = want.castTo(DataType.DOUBLE).amaxNumber().doubleValue();
    double err =
        got.castTo(DataType.DOUBLE).sub(want.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    double rel = err / Math.max(scale, 1e-30);
    System.out.printf("PARITY %-44s rel-to-max %.3e (max |g| %.3e)%n", what, rel, scale);
    assertTrue(
        rel <= tol,
        what + ": max error " + err + " over max |grad| " + scale + " = " + rel + " > " + tol);
  }
}
