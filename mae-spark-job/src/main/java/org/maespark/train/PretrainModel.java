package org.maespark.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.maespark.model.Reconstruction;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the driver needs from a model: its DL4J graph (trained by the Spark training masters) and
 * the few model-specific operations of checkpoints and evaluation. The MAE implements it in {@code
 * MaeTrainModel}; the driver never depends on the model's internals.
 */
public interface PretrainModel {

  /** The graph: one input {@code imgs [N, C*H*W]}, one label {@code noise [N, L]}. */
  ComputationGraph graph();

  int imgSize();

  int patch();

  int channels();

  /** L, the number of patches (length of the masking noise). */
  int numPatches();

  /** Whether the loss targets are per-patch normalised pixels. */
  boolean normPixLoss();

  /** Weights under official names (safetensors). */
  void saveWeights(OutputStream out) throws IOException;

  void loadWeights(InputStream in) throws IOException;

  /** Mean loss over the batch for the given masking noise, without training. */
  double loss(INDArray imgs, INDArray noise);

  /** Encoder features of unmasked images: {@code [N, 2*D]} = cls token ++ mean patch token. */
  INDArray features(INDArray imgs);

  /**
   * Pictures of a masked reconstruction, {@code [N, C, H, W]} in the input's normalised units
   * (norm-pix predictions mapped back with each patch's own statistics).
   */
  Reconstruction reconstruct(INDArray imgs, INDArray noise);

  /** Trainable parameter count. */
  long paramCount();
}
