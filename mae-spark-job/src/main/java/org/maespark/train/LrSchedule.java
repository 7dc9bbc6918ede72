package org.maespark.train;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The official MAE learning-rate schedule ({@code util/lr_sched.py}): linear warmup from 0 to the
 * absolute LR over {@code warmupEpochs}, then a half-cycle cosine down to {@code minLr} at {@code
 * epochs}, evaluated every iteration at the fractional epoch {@code step / stepsPerEpoch}.
 *
 * <p>As a DL4J {@link ISchedule} it is installed on the updater of every layer, so the workers that
 * run the updater compute the LR themselves from the iteration count the training master broadcasts
 * with the configuration; the driver never pushes an LR.
 */
public final class LrSchedule implements ISchedule {
  private final double peakLr;
  private final double minLr;
  private final double warmupEpochs;
  private final double epochs;
  private final long stepsPerEpoch;

  public LrSchedule(
      @JsonProperty("peakLr") double peakLr,
      @JsonProperty("minLr") double minLr,
      @JsonProperty("warmupEpochs") double warmupEpochs,
      @JsonProperty("epochs") double epochs,
      @JsonProperty("stepsPerEpoch") long stepsPerEpoch) {
    if (stepsPerEpoch <= 0 || epochs <= warmupEpochs || warmupEpochs < 0) {
      throw new IllegalArgumentException(
          "LR schedule needs stepsPerEpoch > 0 and 0 <= warmupEpochs < epochs; got "
              + stepsPerEpoch
              + ", "
              + warmupEpochs
              + ", "
              + epochs);
    }
    this.peakLr = peakLr;
    this.minLr = minLr;
    this.warmupEpochs = warmupEpochs;
    this.epochs = epochs;
    this.stepsPerEpoch = stepsPerEpoch;
  }

  /** LR at fractional epoch {@code epoch} (official {@code adjust_learning_rate}). */
  public static double lrAt(
      double epoch, double peakLr, double minLr, double warmupEpochs, double epochs) {
    if (epoch < warmupEpochs) {
      return peakLr * epoch / warmupEpochs;
    }
    double progress = (epoch - warmupEpochs) / (epochs - warmupEpochs);
    return minLr + (peakLr - minLr) * 0.5 * (1.0 + Math.cos(Math.PI * progress));
  }

  /** LR used by the update of global step {@code step} (0-based). */
  public double lrAtStep(long step) {
    return lrAt((double) step / stepsPerEpoch, peakLr, minLr, warmupEpochs, epochs);
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    // DL4J passes the network's iteration count before the update: the global 0-based step.
    return lrAtStep(iteration);
  }

  @Override
  public ISchedule clone() {
    return new LrSchedule(peakLr, minLr, warmupEpochs, epochs, stepsPerEpoch);
  }

  @JsonProperty("peakLr")
  public double peakLr() {
    return peakLr;
  }

  @JsonProperty("minLr")
  public double minLr() {
    return minLr;
  }

  @JsonProperty("warmupEpochs")
  public double warmupEpochs() {
    return warmupEpochs;
  }

  @JsonProperty("epochs")
  public double epochs() {
    return epochs;
  }

  @JsonProperty("stepsPerEpoch")
  public long stepsPerEpoch() {
    return stepsPerEpoch;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LrSchedule s
        && s.peakLr == peakLr
        && s.minLr == minLr
        && s.warmupEpochs == warmupEpochs
        && s.epochs == epochs
        && s.stepsPerEpoch == stepsPerEpoch;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(peakLr, minLr, warmupEpochs, epochs, stepsPerEpoch);
  }

  @Override
  public String toString() {
    return String.format(
        "LrSchedule(peak %.3e, min %.3e, warmup %s of %s epochs, %d steps/epoch)",
        peakLr, minLr, warmupEpochs, epochs, stepsPerEpoch);
  }
}
