package org.maespark.model;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The MAE layer's training implementation: DL4J's SameDiff output layer, whose gradient and score
 * passes run the hand-written {@link MaeStep} instead of SameDiff's interpreter (inference, {@code
 * activate}, still runs the SameDiff graph of {@link MaeGraph}). Also:
 *
 * <ul>
 *   <li>one forward pass per step: the gradient pass also returns the loss, and the score reuses it
 *       (DL4J would run the forward a second time for the score);
 *   <li>no gradient with respect to the layer input: the MAE layer's input is the network input
 *       ({@link MaeModel#configuration}), which has nothing to train, so the epsilon returned is
 *       null, which DL4J allows for layers fed by inputs.
 * </ul>
 *
 * Gradients are those of the batch-summed loss; DL4J's updater divides them by the minibatch size
 * (checked against the reference in the parity test).
 */
final class MaeTrainingLayer extends SameDiffOutputLayer {
  private MaeStep step;
  private INDArray scoredInput;
  private INDArray scoredLabels;
  private double scoredSum = Double.NaN;

  MaeTrainingLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  @Override
  public synchronized Pair<Gradient, INDArray> backpropGradient(
      INDArray epsilon, LayerWorkspaceMgr mgr) {
    assertInputSet(true);
    if (labels == null) {
      throw new IllegalStateException("MAE layer: no labels (the masking noise [N, L]) were set");
    }
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      MaeStep s = step();
      long t0 = StepProfile.start();
      scoredSum = s.forward(paramTable, input, labels);
      long t1 = StepProfile.start();
      s.backward(paramTable, gradTable);
      StepProfile.split(t1 - t0, StepProfile.start() - t1);
    }
    scoredInput = input;
    scoredLabels = labels;
    Gradient g = new DefaultGradient();
    for (String name : paramTable.keySet()) {
      g.gradientForVariable().put(name, gradTable.get(name));
    }
    return new Pair<>(g, null);
  }

  @Override
  public synchronized double computeScore(
      double fullNetRegTerm, boolean training, LayerWorkspaceMgr mgr) {
    if (input == scoredInput && labels == scoredLabels && !Double.isNaN(scoredSum)) {
      double s = (scoredSum + fullNetRegTerm) / input.size(0);
      scoredSum = Double.NaN; // one use: the next score needs a new pass
      return s;
    }
    assertInputSet(false);
    if (labels == null) {
      throw new IllegalStateException("MAE layer: no labels (the masking noise [N, L]) were set");
    }
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      double sum = step().forward(paramTable, input, labels);
      return (sum + fullNetRegTerm) / input.size(0);
    }
  }

  /** The step's arrays for this batch size, made again only when the batch size changes. */
  private MaeStep step() {
    int n = (int) input.size(0);
    if (step == null || step.n != n) {
      step = null; // the old arrays go before the new ones are made
      step = new MaeStep(((MaeLayer) layerConf()).config(), n);
    }
    return step;
  }
}
