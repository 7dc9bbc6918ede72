package org.maespark.model;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's SameDiff output layer, minus two costs of a training step:
 *
 * <ul>
 *   <li>DL4J runs the forward pass twice per step: once inside the gradient function and once more
 *       for the score. Here the gradient pass also returns the loss, and the score reuses it.
 *   <li>DL4J also computes the gradient with respect to the layer input. The MAE layer's input is
 *       the network input ({@link MaeModel#configuration}), which has nothing to train, so no input
 *       gradient is computed (the epsilon returned is null, which DL4J allows for layers fed by
 *       inputs).
 * </ul>
 *
 * Gradients are SameDiff's gradients of the batch-summed loss; DL4J's updater divides them by the
 * minibatch size (checked against the reference in the parity test).
 */
final class MaeTrainingLayer extends SameDiffOutputLayer {
  /** Per thread, as SameDiff's sessions: one pool for the gradient and the score passes. */
  private final Map<Long, StepMemory> memories = new HashMap<>();

  private final Set<SameDiff> listened = Collections.newSetFromMap(new IdentityHashMap<>());

  private INDArray scoredInput;
  private INDArray scoredLabels;
  private double scoredSum = Double.NaN;

  MaeTrainingLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
    assertInputSet(true);
    if (labels == null) {
      throw new IllegalStateException("MAE layer: no labels (the masking noise [N, L]) were set");
    }
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      if (sameDiff == null) {
        doInit();
      }
      if (!sameDiff.hasGradientFunction()) {
        // Parameters only, not the input placeholder. SameDiff prints a line per op here.
        QuietStdout.run(sameDiff::createGradFunction);
      }
    }
    // The gradient pass takes its arrays outside DL4J's workspaces, from a pool that reuses each
    // intermediate once its last consumer has run (StepMemory). With DL4J's own manager every
    // activation and gradient of the step stays allocated until the pass ends.
    Set<String> keep = new HashSet<>();
    keep.add(outputKey);
    for (String name : paramTable.keySet()) {
      keep.add(sameDiff.getVariable(name).getGradient().name());
    }
    StepMemory memory = memory(sameDiff.getFunction("grad"), keep);

    Map<String, INDArray> placeholders = new HashMap<>();
    placeholders.put(INPUT_KEY, input);
    placeholders.put(LABELS_KEY, labels);
    OutAndGrad result;
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      result =
          sameDiff.calculateGradientsAndOutputs(
              placeholders, java.util.List.of(outputKey), paramTable.keySet());
    }
    Gradient g = new DefaultGradient();
    for (String name : paramTable.keySet()) {
      INDArray sdGrad = result.getGradients().get(name);
      INDArray dl4jGrad = gradTable.get(name);
      dl4jGrad.assign(sdGrad);
      g.gradientForVariable().put(name, dl4jGrad);
    }
    scoredSum = result.getOutputs().get(outputKey).getDouble(0);
    scoredInput = input;
    scoredLabels = labels;
    memory.endStep(); // after the copies above: the outputs' arrays are reused next step
    sameDiff.clearPlaceholders(true);
    sameDiff.clearOpInputs();
    return new Pair<>(g, null);
  }

  @Override
  public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr mgr) {
    if (input == scoredInput && labels == scoredLabels && !Double.isNaN(scoredSum)) {
      double s = (scoredSum + fullNetRegTerm) / input.size(0);
      scoredSum = Double.NaN; // one use: the next score needs a new pass
      return s;
    }
    // Forward only (e.g. graph.score(data)), with the same pooled memory as the gradient pass.
    assertInputSet(false);
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      if (sameDiff == null) {
        doInit();
      }
      StepMemory memory = memory(sameDiff, Set.of(outputKey));
      Map<String, INDArray> placeholders = new HashMap<>();
      placeholders.put(INPUT_KEY, input);
      placeholders.put(LABELS_KEY, labels);
      double sum = sameDiff.outputSingle(placeholders, outputKey).getDouble(0);
      memory.endStep();
      sameDiff.clearPlaceholders(true);
      sameDiff.clearOpInputs();
      return (sum + fullNetRegTerm) / input.size(0);
    }
  }

  /**
   * This thread's session of {@code fn}, set up with a {@link StepMemory}: its memory. The memory's
   * listener goes on the layer's SameDiff, whose listeners SameDiff also gives the gradient
   * function on every call.
   */
  private StepMemory memory(SameDiff fn, Set<String> keep) {
    Map<Long, InferenceSession> sessions = fn.getSessions();
    long thread = Thread.currentThread().getId();
    InferenceSession session = sessions.get(thread);
    if (session == null) {
      session = SameDiff.getInferenceFactory().create(fn);
      sessions.put(thread, session);
    }
    if (!(session.getMmgr() instanceof StepMemory)) {
      StepMemory memory = memories.computeIfAbsent(thread, t -> new StepMemory());
      session.setMmgr(memory);
      // DL4J's activate() swaps in its own manager; the listener must still be added only once
      if (listened.add(fn)) {
        sameDiff.addListeners(memory.listener(fn, keep));
      }
    }
    return (StepMemory) session.getMmgr();
  }
}
