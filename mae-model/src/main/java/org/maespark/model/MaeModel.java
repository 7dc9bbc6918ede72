package org.maespark.model;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * An MAE: a DL4J {@link ComputationGraph} with one input {@code imgs [N, C*H*W]} (NCHW flattened,
 * normalized) and one label array {@code noise [N, L]} (uniform [0, 1); the smallest len_keep are
 * kept), whose score is the MAE loss. Training goes through the graph ({@code graph().fit(mds)}, or
 * DL4J's Spark trainers); the methods here run the same graph code for inference.
 */
public final class MaeModel {
  /** The graph's input name. */
  public static final String INPUT = "imgs";

  /** The graph's only layer. */
  public static final String LAYER = "mae";

  /**
   * Token rows (images x (1 + L)) {@link #features} encodes at once: bounds the arrays it keeps
   * (ViT-B/16: 10 images, about 1.3 GB) while keeping each gemm large.
   */
  static final int FEATURE_TOKEN_ROWS = 2048;

  private final MaeConfig config;
  private final ComputationGraph graph;
  private final MaeParams params;
  private SameDiff forwardGraph;
  private final Map<Integer, MaeStep> featureSteps = new HashMap<>();
  private SameDiff featuresGraph;

  private MaeModel(ComputationGraph graph) {
    if (!(graph.getLayer(LAYER) != null
        && graph.getLayer(LAYER).conf().getLayer() instanceof MaeLayer)) {
      throw new IllegalArgumentException(
          "not an MAE graph: expected a layer '" + LAYER + "' of type MaeLayer");
    }
    this.graph = graph;
    this.config = ((MaeLayer) graph.getLayer(LAYER).conf().getLayer()).config();
    this.params = MaeParams.of(config);
  }

  /**
   * The threads the step's own element loops (LayerNorm, GELU, attention in SIMD lanes) split a
   * call over, for every model in this JVM: by default the machine's cores. A Spark task that was
   * given fewer cores sets its count here, as it sets BLAS's and libnd4j's threads; results do not
   * depend on it (each row or head is computed whole by one thread).
   */
  public static void loopThreads(int n) {
    Rows.threads(n);
  }

  /** The threads the element loops use now (see {@link #loopThreads(int)}). */
  public static int loopThreads() {
    return Rows.threads();
  }

  /** A new model with the official initialization drawn from {@code seed}. */
  public static MaeModel create(MaeConfig config, long seed, MaeOptimizer optimizer) {
    ComputationGraph g = new ComputationGraph(configuration(config, seed, optimizer));
    g.init();
    return new MaeModel(g);
  }

  /** {@link #create(MaeConfig, long, MaeOptimizer)} with the official AdamW at lr 1.5e-4. */
  public static MaeModel create(MaeConfig config, long seed) {
    return create(config, seed, MaeOptimizer.official(1.5e-4));
  }

  /** Wraps a graph built from {@link #configuration} (e.g. one restored or trained by Spark). */
  public static MaeModel of(ComputationGraph graph) {
    return new MaeModel(graph);
  }

  /** The DL4J configuration: input {@code imgs}, one {@link MaeLayer}, float32. */
  public static ComputationGraphConfiguration configuration(
      MaeConfig config, long seed, MaeOptimizer optimizer) {
    return configuration(new MaeLayer(config, optimizer, seed), seed);
  }

  static ComputationGraphConfiguration configuration(MaeLayer layer, long seed) {
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .graphBuilder()
        .addInputs(INPUT)
        .setInputTypes(InputType.feedForward(layer.config().imageDim()))
        .addLayer(LAYER, layer, INPUT)
        .setOutputs(LAYER)
        .build();
  }

  /** One training batch as the graph wants it: features {imgs [N, C*H*W]}, labels {noise}. */
  public static MultiDataSet batch(INDArray imgs, INDArray noise) {
    return new MultiDataSet(new INDArray[] {flat(imgs)}, new INDArray[] {noise});
  }

  public ComputationGraph graph() {
    return graph;
  }

  public MaeConfig config() {
    return config;
  }

  /**
   * Sets the learning rate used from the next step on. DL4J's {@code graph.setLearningRate} skips
   * SameDiff layers, so this sets it on the layer's {@link AdamW}, which the live updater reads at
   * every step.
   */
  public void setLearningRate(double lr) {
    layer().getUpdater().setLrAndSchedule(lr, null);
  }

  /** Sets a schedule over DL4J's iteration and epoch counters instead of a fixed rate. */
  public void setLearningRateSchedule(ISchedule schedule) {
    layer().getUpdater().setLrAndSchedule(Double.NaN, schedule);
  }

  /** The learning rate the next step will use. */
  public double learningRate() {
    return layer()
        .getUpdater()
        .getLearningRate(
            graph.getConfiguration().getIterationCount(), graph.getConfiguration().getEpochCount());
  }

  private MaeLayer layer() {
    return (MaeLayer) graph.getLayer(LAYER).conf().getLayer();
  }

  /** The trainable parameters by official key, as live views into the graph (PyTorch shapes). */
  public Map<String, INDArray> params() {
    Map<String, INDArray> table = graph.getLayer(LAYER).paramTable();
    Map<String, INDArray> out = new LinkedHashMap<>();
    for (MaeParams.Spec p : params.specs()) {
      out.put(p.key(), table.get(p.graphName()));
    }
    return out;
  }

  /** imgs [N, C, H, W] or [N, C*H*W], noise [N, L] -> loss, pred, mask, ids_restore. */
  public MaeOutput forward(INDArray imgs, INDArray noise) {
    Map<String, INDArray> out =
        run(imgs, noise, MaeGraph.LOSS, MaeGraph.PRED, MaeGraph.MASK, MaeGraph.IDS_RESTORE);
    return new MaeOutput(
        out.get(MaeGraph.LOSS).getDouble(0),
        out.get(MaeGraph.PRED),
        out.get(MaeGraph.MASK),
        out.get(MaeGraph.IDS_RESTORE).castTo(DataType.LONG));
  }

  /** Runs the training graph on one batch and returns the named variables (see MaeGraph). */
  Map<String, INDArray> run(INDArray imgs, INDArray noise, String... names) {
    checkNoise(noise, imgs.size(0));
    if (forwardGraph == null) {
      forwardGraph = inferenceGraph(false);
    }
    return forwardGraph.output(
        Map.of(MaeGraph.INPUT_PH, flat(imgs), MaeGraph.NOISE_PH, noise), names);
  }

  /**
   * Encoder features with no masking: [N, 2*D] = cls token ++ mean of patch tokens. Runs the
   * hand-written encoder ({@link MaeStep#features}) in chunks of at most {@link
   * #FEATURE_TOKEN_ROWS} token rows, on arrays made once per chunk size and kept.
   */
  public INDArray features(INDArray imgs) {
    INDArray x = flat(imgs);
    int total = (int) x.size(0);
    int chunk = Math.max(1, Math.min(total, FEATURE_TOKEN_ROWS / (1 + config.numPatches())));
    Map<String, INDArray> table = graph.getLayer(LAYER).paramTable();
    INDArray out = Nd4j.create(DataType.FLOAT, total, 2L * config.embedDim());
    for (int from = 0; from < total; from += chunk) {
      int m = Math.min(chunk, total - from);
      if (!featureSteps.containsKey(m) && featureSteps.size() >= 2) {
        featureSteps.clear(); // a full chunk and the last partial one are kept, nothing more
      }
      MaeStep step = featureSteps.computeIfAbsent(m, k -> MaeStep.forFeatures(config, k));
      INDArrayIndex rows = NDArrayIndex.interval(from, from + m);
      out.get(rows, NDArrayIndex.all())
          .assign(step.features(table, x.get(rows, NDArrayIndex.all()).dup('c')));
    }
    return out;
  }

  /** {@link #features} through the SameDiff graph of {@link MaeGraph#features} (tests compare). */
  INDArray featuresByGraph(INDArray imgs) {
    if (featuresGraph == null) {
      featuresGraph = inferenceGraph(true);
    }
    return featuresGraph
        .output(Map.of(MaeGraph.INPUT_PH, flat(imgs)), MaeGraph.FEATURES)
        .get(MaeGraph.FEATURES);
  }

  /** Masks {@code imgs [N, C, H, W]} with {@code noise [N, L]} and reconstructs them. */
  public Reconstruction reconstruct(INDArray imgs, INDArray noise) {
    INDArray images =
        flat(imgs).reshape('c', imgs.size(0), config.inChans(), config.imgSize(), config.imgSize());
    Map<String, INDArray> out = run(images, noise, MaeGraph.PRED, MaeGraph.MASK);
    INDArray pred = out.get(MaeGraph.PRED); // [N, L, p*p*C]
    INDArray target = patchify(images); // [N, L, p*p*C]
    if (config.normPixLoss()) {
      // map normalized predictions back with each patch's own statistics (official visualization)
      INDArray mean = target.mean(true, 2); // [N, L, 1]
      INDArray var = target.var(true, 2).reshape(mean.shape()); // [N, L, 1] unbiased (n - 1)
      pred = pred.mul(Nd4j.math().sqrt(var.add(MaeGraph.NORM_PIX_EPS))).addi(mean);
    }
    INDArray removed = out.get(MaeGraph.MASK).reshape(imgs.size(0), config.numPatches(), 1);
    INDArray kept = removed.rsub(1.0); // [N, L, 1]
    INDArray masked = target.mul(kept); // [N, L, p*p*C]
    INDArray pasted = masked.add(pred.mul(removed)); // [N, L, p*p*C]
    return new Reconstruction(unpatchify(masked), unpatchify(pred), unpatchify(pasted));
  }

  /** [N, C, H, W] -> [N, L, p*p*C], per patch (i, j, c) channel-last (official patchify). */
  public INDArray patchify(INDArray imgs) {
    int p = config.patch();
    int h = config.gridSize();
    INDArray x = flat(imgs).reshape('c', imgs.size(0), config.inChans(), h, p, h, p);
    return x.permute(0, 2, 4, 3, 5, 1)
        .dup('c')
        .reshape('c', imgs.size(0), config.numPatches(), config.patchDim());
  }

  /** [N, L, p*p*C] -> [N, C, H, W] (official unpatchify). */
  public INDArray unpatchify(INDArray x) {
    int p = config.patch();
    int h = config.gridSize();
    INDArray y = x.dup('c').reshape('c', x.size(0), h, h, p, p, config.inChans());
    return y.permute(0, 5, 1, 3, 2, 4)
        .dup('c')
        .reshape('c', x.size(0), config.inChans(), config.imgSize(), config.imgSize());
  }

  private void checkNoise(INDArray noise, long n) {
    if (noise.rank() != 2 || noise.size(0) != n || noise.size(1) != config.numPatches()) {
      throw new IllegalArgumentException(
          "noise has shape "
              + java.util.Arrays.toString(noise.shape())
              + ", expected ["
              + n
              + ", "
              + config.numPatches()
              + "]");
    }
  }

  /** [N, C, H, W] or [N, C*H*W] -> [N, C*H*W] float, c order. */
  private static INDArray flat(INDArray imgs) {
    return imgs.castTo(DataType.FLOAT)
        .dup('c')
        .reshape('c', imgs.size(0), imgs.length() / imgs.size(0));
  }

  /** A standalone SameDiff on the graph's live parameter views (no copies). */
  private SameDiff inferenceGraph(boolean features) {
    SameDiff sd = SameDiff.create();
    // SingleThreadArrayHolder lets variables be views of the graph's flat parameter array, as
    // DL4J's own SameDiff layers do.
    sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
    SDVariable imgs = sd.placeHolder(MaeGraph.INPUT_PH, DataType.FLOAT, -1, config.imageDim());
    Map<String, SDVariable> vars = new LinkedHashMap<>();
    for (MaeParams.Spec p : params.specs()) {
      vars.put(p.graphName(), sd.var(p.graphName(), DataType.FLOAT, p.shape()));
    }
    MaeGraph g = new MaeGraph(sd, config, vars);
    if (features) {
      g.features(imgs);
    } else {
      g.forward(imgs, sd.placeHolder(MaeGraph.NOISE_PH, DataType.FLOAT, -1, config.numPatches()));
    }
    Map<String, INDArray> table = graph.getLayer(LAYER).paramTable();
    for (MaeParams.Spec p : params.specs()) {
      sd.associateArrayWithVariable(table.get(p.graphName()), sd.getVariable(p.graphName()));
    }
    return sd;
  }
}
