package org.maespark.train.sharing;

import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithmReducer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A threshold algorithm that never goes below {@code floor} ({@code train.threshold_min}). DL4J's
 * {@code AdaptiveThresholdAlgorithm} halves its threshold every 20 sparse steps without a lower
 * bound; a vanishing threshold turns every update dense (bitmap encoding of the whole model).
 */
final class FlooredThresholdAlgorithm implements ThresholdAlgorithm {
  private static final long serialVersionUID = 1L;
  private final ThresholdAlgorithm delegate;
  private final double floor;

  FlooredThresholdAlgorithm(ThresholdAlgorithm delegate, double floor) {
    this.delegate = delegate;
    this.floor = floor;
  }

  @Override
  public double calculateThreshold(
      int iteration,
      int epoch,
      Double lastThreshold,
      Boolean lastWasDense,
      Double lastSparsityRatio,
      INDArray updatesPlusResidual) {
    return Math.max(
        floor,
        delegate.calculateThreshold(
            iteration, epoch, lastThreshold, lastWasDense, lastSparsityRatio, updatesPlusResidual));
  }

  @Override
  public ThresholdAlgorithmReducer newReducer() {
    return new Reducer(delegate.newReducer(), floor);
  }

  @Override
  public FlooredThresholdAlgorithm clone() {
    return new FlooredThresholdAlgorithm(delegate.clone(), floor);
  }

  @Override
  public String toString() {
    return "Floored(" + delegate + ", floor=" + floor + ")";
  }

  /** Reduces the wrapped algorithms with the delegate's own reducer, then re-applies the floor. */
  private static final class Reducer implements ThresholdAlgorithmReducer {
    private static final long serialVersionUID = 1L;
    private final ThresholdAlgorithmReducer delegate;
    private final double floor;

    Reducer(ThresholdAlgorithmReducer delegate, double floor) {
      this.delegate = delegate;
      this.floor = floor;
    }

    @Override
    public void add(ThresholdAlgorithm instance) {
      delegate.add(instance instanceof FlooredThresholdAlgorithm f ? f.delegate : instance);
    }

    @Override
    public ThresholdAlgorithmReducer merge(ThresholdAlgorithmReducer other) {
      ThresholdAlgorithmReducer o = other instanceof Reducer r ? r.delegate : other;
      return new Reducer(delegate.merge(o), floor);
    }

    @Override
    public ThresholdAlgorithm getFinalResult() {
      ThresholdAlgorithm t = delegate.getFinalResult();
      return t == null ? null : new FlooredThresholdAlgorithm(t, floor);
    }
  }
}
