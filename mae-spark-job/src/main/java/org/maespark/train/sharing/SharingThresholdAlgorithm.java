package org.maespark.train.sharing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithmReducer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The encoding threshold of gradient sharing: a multiple of the workers' current LR, the multiple
 * adapted by DL4J's sparsity-targeting algorithm, never below a floor ({@code
 * train.threshold_min}), and remembered across fits.
 *
 * <p>Why LR-relative: an Adam update is about LR-sized per element, and the recipe's LR runs from 0
 * (warmup start) to its peak and back to ~0 (cosine end). A fixed threshold is far too coarse at
 * both ends: with the DL4J default algorithm the last epoch of a short run sent no update at all
 * and the model froze (validation loss unchanged to the last digit), because the adaptive threshold
 * moves by at most 2x per 20 steps. {@code train.threshold} is the threshold at the peak LR, so the
 * multiple starts at {@code threshold / peakLr}.
 *
 * <p>Why remembered: DL4J keeps the algorithm per training thread ({@code EncodingHandler}, a
 * {@code ThreadLocal} seeded with a clone of the initial algorithm) and an executor trains each fit
 * on whichever Spark task thread runs it, so every fit restarted the adaptation. The last multiple
 * of this run in this JVM are kept, and a new thread continues from them.
 *
 * <p>Why a floor: the adaptive algorithm halves without a lower bound; a vanishing threshold turns
 * every update dense (a bitmap of the whole model).
 */
final class SharingThresholdAlgorithm implements ThresholdAlgorithm {
  private static final long serialVersionUID = 1L;

  /** Per JVM and run: the last LR multiple. */
  private static final Map<String, Double> LAST = new ConcurrentHashMap<>();

  private final ThresholdAlgorithm multiple;
  private final ISchedule workerLr;
  private final double floor;
  private final String run;

  /**
   * @param multiple adapts the LR multiple (its initial threshold is the initial multiple)
   * @param workerLr the LR schedule the workers' updaters run
   * @param run names this run's memory in each JVM
   */
  SharingThresholdAlgorithm(
      ThresholdAlgorithm multiple, ISchedule workerLr, double floor, String run) {
    this.multiple = multiple;
    this.workerLr = workerLr;
    this.floor = floor;
    this.run = run;
  }

  @Override
  public double calculateThreshold(
      int iteration,
      int epoch,
      Double lastThreshold,
      Boolean lastWasDense,
      Double lastSparsityRatio,
      INDArray updatesPlusResidual) {
    Double last = LAST.get(run);
    double m;
    if (lastSparsityRatio == null && lastWasDense == null) {
      // first step of this instance: continue from this JVM's last multiple, else the initial one
      m =
          last != null
              ? last
              : multiple.calculateThreshold(
                  iteration, epoch, null, null, null, updatesPlusResidual);
    } else {
      m =
          multiple.calculateThreshold(
              iteration, epoch, last, lastWasDense, lastSparsityRatio, updatesPlusResidual);
    }
    LAST.put(run, m);
    return Math.max(floor, m * workerLr.valueAt(iteration, epoch));
  }

  @Override
  public ThresholdAlgorithmReducer newReducer() {
    return new Reducer(multiple.newReducer(), workerLr, floor, run);
  }

  @Override
  public SharingThresholdAlgorithm clone() {
    return new SharingThresholdAlgorithm(multiple.clone(), workerLr, floor, run);
  }

  @Override
  public String toString() {
    return "SharingThreshold(lr x " + multiple + ", floor " + floor + ")";
  }

  /** Reduces the wrapped multiples with the delegate's own reducer. */
  private static final class Reducer implements ThresholdAlgorithmReducer {
    private static final long serialVersionUID = 1L;
    private final ThresholdAlgorithmReducer delegate;
    private final ISchedule workerLr;
    private final double floor;
    private final String run;

    Reducer(ThresholdAlgorithmReducer delegate, ISchedule workerLr, double floor, String run) {
      this.delegate = delegate;
      this.workerLr = workerLr;
      this.floor = floor;
      this.run = run;
    }

    @Override
    public void add(ThresholdAlgorithm instance) {
      delegate.add(instance instanceof SharingThresholdAlgorithm s ? s.multiple : instance);
    }

    @Override
    public ThresholdAlgorithmReducer merge(ThresholdAlgorithmReducer other) {
      return new Reducer(
          delegate.merge(other instanceof Reducer r ? r.delegate : other), workerLr, floor, run);
    }

    @Override
    public ThresholdAlgorithm getFinalResult() {
      ThresholdAlgorithm t = delegate.getFinalResult();
      return t == null ? null : new SharingThresholdAlgorithm(t, workerLr, floor, run);
    }
  }
}
