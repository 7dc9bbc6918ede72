package org.maespark.train;

import org.apache.spark.SparkContext;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Every worker step's loss and time in {@code fit}, summed in Spark accumulators: the driver reads
 * the epoch's mean loss over every step (not only each round's last minibatch) and how much of a
 * round the workers spent computing rather than waiting (for data, the broadcast, the aggregation,
 * the scheduler). Shipped to the workers as a training hook with each parameter-averaging round;
 * gradient sharing's tasks add their JVM's step losses with {@link #addSteps} (DL4J's shared worker
 * calls no training hooks).
 *
 * <p>Spark counts an accumulator update in a task again when the task is retried, so after an
 * executor loss an interval's figures may include a retried round twice.
 */
public final class StepMeter implements TrainingHook {
  /** Sums since the meter was made. */
  public record Reading(double lossSum, long steps, long fitNanos, long wallNanos) {
    /** What happened between {@code earlier} and this reading. */
    public Reading since(Reading earlier) {
      return new Reading(
          lossSum - earlier.lossSum,
          steps - earlier.steps,
          fitNanos - earlier.fitNanos,
          wallNanos - earlier.wallNanos);
    }

    /** Mean loss per worker step. */
    public double meanLoss() {
      return lossSum / steps;
    }

    /** Seconds the average worker spent in {@code fit}. */
    double fitSeconds(int workers) {
      return fitNanos / 1e9 / workers;
    }

    double wallSeconds() {
      return wallNanos / 1e9;
    }
  }

  private final DoubleAccumulator loss;
  private final LongAccumulator steps;
  private final LongAccumulator fitNanos;
  private final long created = System.nanoTime();
  private transient long fitStart;

  private StepMeter(SparkContext sc) {
    this.loss = sc.doubleAccumulator("mae.step_loss_sum");
    this.steps = sc.longAccumulator("mae.worker_steps");
    this.fitNanos = sc.longAccumulator("mae.fit_nanos");
  }

  public static StepMeter register(SparkContext sc) {
    return new StepMeter(sc);
  }

  /** The sums so far (driver side; complete for every round whose job has returned). */
  public Reading read() {
    return new Reading(loss.value(), steps.value(), fitNanos.value(), System.nanoTime() - created);
  }

  @Override
  public void preUpdate(MultiDataSet minibatch, Model model) {
    fitStart = System.nanoTime();
  }

  @Override
  public void preUpdate(DataSet minibatch, Model model) {
    fitStart = System.nanoTime();
  }

  @Override
  public void postUpdate(MultiDataSet minibatch, Model model) {
    record(model);
  }

  @Override
  public void postUpdate(DataSet minibatch, Model model) {
    record(model);
  }

  /**
   * Adds {@code steps} worker steps whose losses sum to {@code lossSum}, from inside a task that
   * spent {@code fitNanos} in its worker's fit (gradient sharing: the task's whole run of DL4J's
   * worker, waiting for its minibatches to be trained included).
   */
  public void addSteps(double lossSum, long steps, long fitNanos) {
    loss.add(lossSum);
    this.steps.add(steps);
    this.fitNanos.add(fitNanos);
  }

  private void record(Model model) {
    fitNanos.add(System.nanoTime() - fitStart);
    loss.add(model.score());
    steps.add(1);
  }
}
