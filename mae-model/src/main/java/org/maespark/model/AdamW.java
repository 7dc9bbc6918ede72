package org.maespark.model;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Adam with torch's epsilon placement, to pair with DL4J's decoupled {@code WeightDecay}
 * regularization: together they are {@code torch.optim.AdamW}.
 *
 * <p>DL4J's own {@code Adam} adds epsilon to sqrt(v) before bias correction ({@code
 * lr*sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v)+eps)}); torch adds it after ({@code lr/(1-b1^t) *
 * m/(sqrt(v)/sqrt(1-b2^t)+eps)}). They differ where |g| is near eps, so this updater follows torch.
 * Weight decay is not here: DL4J applies {@code WeightDecay(coeff, applyLR=true)} after the updater
 * as {@code update += lr*wd*param}, i.e. {@code p <- p*(1-lr*wd) - adam}, which is torch's
 * decoupled step.
 */
public final class AdamW implements IUpdater {
  @JsonProperty private double learningRate;
  @JsonProperty private ISchedule learningRateSchedule;
  @JsonProperty private double beta1;
  @JsonProperty private double beta2;
  @JsonProperty private double epsilon;

  /** For JSON. */
  private AdamW() {}

  public AdamW(double learningRate, double beta1, double beta2, double epsilon) {
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  public double beta1() {
    return beta1;
  }

  public double beta2() {
    return beta2;
  }

  public double epsilon() {
    return epsilon;
  }

  @Override
  public long stateSize(long numParams) {
    return 2 * numParams; // m and v
  }

  @Override
  public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
    Updater u = new Updater(this);
    u.setStateViewArray(viewArray, null, viewArray.ordering(), initializeViewArray);
    return u;
  }

  @Override
  public GradientUpdater instantiate(Map<String, INDArray> state, boolean initialize) {
    Updater u = new Updater(this);
    u.setState(state, initialize);
    return u;
  }

  @Override
  public AdamW clone() {
    AdamW a = new AdamW(learningRate, beta1, beta2, epsilon);
    a.learningRateSchedule = learningRateSchedule == null ? null : learningRateSchedule.clone();
    return a;
  }

  @Override
  public double getLearningRate(int iteration, int epoch) {
    return learningRateSchedule != null
        ? learningRateSchedule.valueAt(iteration, epoch)
        : learningRate;
  }

  @Override
  public boolean hasLearningRate() {
    return true;
  }

  @Override
  public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
    this.learningRate = lr;
    this.learningRateSchedule = lrSchedule;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AdamW a
        && a.learningRate == learningRate
        && Objects.equals(a.learningRateSchedule, learningRateSchedule)
        && a.beta1 == beta1
        && a.beta2 == beta2
        && a.epsilon == epsilon;
  }

  @Override
  public int hashCode() {
    return Objects.hash(learningRate, learningRateSchedule, beta1, beta2, epsilon);
  }

  @Override
  public String toString() {
    return "AdamW(lr="
        + learningRate
        + ", betas=("
        + beta1
        + ", "
        + beta2
        + "), eps="
        + epsilon
        + (learningRateSchedule != null ? ", schedule=" + learningRateSchedule : "")
        + ")";
  }

  /** The state (m, v) of one block of parameters and torch's update rule. */
  static final class Updater implements GradientUpdater<AdamW> {
    static final String M = "M";
    static final String V = "V";
    private final AdamW config;
    private INDArray m;
    private INDArray v;
    private INDArray mShaped;
    private INDArray vShaped;

    Updater(AdamW config) {
      this.config = config;
    }

    @Override
    public AdamW getConfig() {
      return config;
    }

    @Override
    public void setState(Map<String, INDArray> state, boolean initialize) {
      if (!state.containsKey(M) || !state.containsKey(V) || state.size() != 2) {
        throw new IllegalStateException(
            "AdamW state must hold exactly [" + M + ", " + V + "], got " + state.keySet());
      }
      m = state.get(M);
      v = state.get(V);
      mShaped = null;
      if (initialize) {
        m.assign(0);
        v.assign(0);
      }
    }

    @Override
    public Map<String, INDArray> getState() {
      return Map.of(M, m, V, v);
    }

    @Override
    public void setStateViewArray(
        INDArray view, long[] gradientShape, char order, boolean initialize) {
      if (initialize) {
        view.assign(0);
      }
      INDArray flat = view.reshape(view.length()); // [2 * n]
      long n = flat.length() / 2;
      m = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n)); // [n]
      v = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(n, 2 * n)); // [n]
      mShaped = null;
    }

    /**
     * torch.optim.AdamW's step without the decay term; t = iteration + 1. One native op, in place,
     * no temporaries: libnd4j's Adam updater computes lr*sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v)+e),
     * which is torch's lr/(1-b1^t) * m/(sqrt(v)/sqrt(1-b2^t)+eps) for e = eps*sqrt(1-b2^t).
     */
    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
      double lr = config.getLearningRate(iteration, epoch);
      double epsilon = config.epsilon * Math.sqrt(1 - Math.pow(config.beta2, iteration + 1));
      if (mShaped == null || !java.util.Arrays.equals(gradient.shape(), mShaped.shape())) {
        // the state in the gradient's shape (views of the contiguous state, no copies), so that
        // the op updates the gradient itself in place
        mShaped = m.reshape(gradient.shape());
        vShaped = v.reshape(gradient.shape());
      }
      long t = StepProfile.start();
      Nd4j.exec(
          new AdamUpdater(
              gradient, vShaped, mShaped, lr, config.beta1, config.beta2, epsilon, iteration));
      StepProfile.lap(StepProfile.Part.ADAMW, t);
    }
  }
}
