package org.maespark.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The whole MAE as one DL4J output layer: input {@code imgs [N, C*H*W]}, labels {@code noise [N,
 * L]}, score = the MAE loss.
 *
 * <p>Why one output layer: DL4J's gradient check reported SameDiffLayer / SameDiffVertex parameter
 * gradients as 2x the numerical ones while output-layer parameters passed (STACK.md), and an output
 * layer's gradient is SameDiff's own gradient of the returned loss with nothing chained after it.
 * DL4J puts a layer's parameters with {@code addWeightParam} under {@code regularization} and those
 * with {@code addBiasParam} under {@code regularizationBias}; the official decay groups map onto
 * that split (decayed = weight params).
 */
public final class MaeLayer extends SameDiffOutputLayer {
  @JsonProperty private int imgSize;
  @JsonProperty private int patch;
  @JsonProperty private int inChans;
  @JsonProperty private int embedDim;
  @JsonProperty private int depth;
  @JsonProperty private int heads;
  @JsonProperty private int decoderEmbedDim;
  @JsonProperty private int decoderDepth;
  @JsonProperty private int decoderHeads;
  @JsonProperty private double mlpRatio;
  @JsonProperty private double maskRatio;
  @JsonProperty private boolean normPixLoss;
  @JsonProperty private boolean encoderMaskTokens;
  @JsonProperty private long initSeed;

  /** For JSON. */
  private MaeLayer() {}

  /**
   * @param c the model
   * @param opt its optimizer
   * @param initSeed seed of the initial weights
   */
  public MaeLayer(MaeConfig c, MaeOptimizer opt, long initSeed) {
    this.initSeed = initSeed;
    imgSize = c.imgSize();
    patch = c.patch();
    inChans = c.inChans();
    embedDim = c.embedDim();
    depth = c.depth();
    heads = c.heads();
    decoderEmbedDim = c.decoderEmbedDim();
    decoderDepth = c.decoderDepth();
    decoderHeads = c.decoderHeads();
    mlpRatio = c.mlpRatio();
    maskRatio = c.maskRatio();
    normPixLoss = c.normPixLoss();
    encoderMaskTokens = c.encoderMaskTokens();
    setUpdater(opt.updater());
    List<Regularization> decay = new ArrayList<>();
    if (opt.weightDecay() > 0) {
      decay.add(new WeightDecay(opt.weightDecay(), true)); // true: scaled by lr, as torch
    }
    setRegularization(decay);
    setRegularizationBias(new ArrayList<>());
  }

  /** The model this layer computes. */
  public MaeConfig config() {
    return new MaeConfig(
        imgSize,
        patch,
        inChans,
        embedDim,
        depth,
        heads,
        decoderEmbedDim,
        decoderDepth,
        decoderHeads,
        mlpRatio,
        maskRatio,
        normPixLoss,
        encoderMaskTokens);
  }

  @Override
  public void defineParameters(SDLayerParams params) {
    for (MaeParams.Spec p : MaeParams.of(config()).specs()) {
      if (p.kind().decayed) {
        params.addWeightParam(p.graphName(), p.shape());
      } else {
        params.addBiasParam(p.graphName(), p.shape());
      }
    }
  }

  /**
   * Official {@code initialize_weights}, drawn in Java from this layer's seed: ND4J's global RNG
   * did not reproduce the same values for the same graph seed (seen for fmnist-28), and a Java
   * generator also gives the same weights on every backend.
   */
  @Override
  public void initializeParameters(Map<String, INDArray> params) {
    java.util.Random rng = new java.util.Random(initSeed);
    for (MaeParams.Spec p : MaeParams.of(config()).specs()) {
      INDArray a = params.get(p.graphName());
      float[] v = new float[(int) p.length()];
      switch (p.kind()) {
        case WEIGHT -> uniform(rng, v, Math.sqrt(6.0 / (p.fanIn() + p.fanOut())));
        case CONV_BIAS -> uniform(rng, v, 1.0 / Math.sqrt(p.fanIn()));
        case TOKEN -> {
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) (0.02 * rng.nextGaussian());
          }
        }
        case NORM_WEIGHT -> java.util.Arrays.fill(v, 1f);
        case BIAS, NORM_BIAS -> java.util.Arrays.fill(v, 0f);
      }
      a.assign(Nd4j.create(v, p.shape(), 'c').castTo(a.dataType()));
    }
  }

  /** U(-bound, bound). */
  private static void uniform(java.util.Random rng, float[] v, double bound) {
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
    }
  }

  @Override
  public SDVariable defineLayer(
      SameDiff sd, SDVariable imgs, SDVariable noise, Map<String, SDVariable> params) {
    return new MaeGraph(sd, config(), params).forward(imgs, noise);
  }

  /** {@code model.output(imgs)} returns pred flattened, [N, L*p*p*C]. */
  @Override
  public String activationsVertexName() {
    return MaeGraph.PRED_FLAT;
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType inputType) {
    MaeConfig c = config();
    return InputType.feedForward((long) c.numPatches() * c.patchDim());
  }

  /** The layer implementation: DL4J's, without its second forward pass and input gradient. */
  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(
      org.deeplearning4j.nn.conf.NeuralNetConfiguration conf,
      java.util.Collection<org.deeplearning4j.optimize.api.TrainingListener> listeners,
      int layerIndex,
      INDArray paramsView,
      boolean initializeParams,
      org.nd4j.linalg.api.buffer.DataType dataType) {
    MaeTrainingLayer layer = new MaeTrainingLayer(conf, dataType);
    layer.setIndex(layerIndex);
    layer.setParamsViewArray(paramsView);
    layer.setParamTable(initializer().init(conf, paramsView, initializeParams));
    layer.setConf(conf);
    return layer;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MaeLayer l && super.equals(o) && l.config().equals(config());
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), config());
  }
}
