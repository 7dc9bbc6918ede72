package org.maespark.train.sharing;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The recipe's schedule divided by the number of workers, for the updaters of gradient sharing.
 *
 * <p>Why: with parameter averaging each worker takes a step of the absolute LR and the driver
 * averages the W results, so the model moves by one LR-sized step per global step (the linear
 * scaling rule, absolute LR = blr x W*b / 256, assumes exactly that). With gradient sharing every
 * worker applies its own update and everyone else's, so the W updates add up: at the full LR the
 * model would move W steps' worth per global step. A per-worker LR of lr / W makes the sum equal to
 * the averaged step (also the decoupled weight decay, which DL4J scales by the LR).
 */
public final class WorkerShareSchedule implements ISchedule {
  private static final long serialVersionUID = 1L;
  private final ISchedule recipe;
  private final int workers;

  public WorkerShareSchedule(
      @JsonProperty("recipe") ISchedule recipe, @JsonProperty("workers") int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers = " + workers + ": expected >= 1");
    }
    this.recipe = recipe;
    this.workers = workers;
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    return recipe.valueAt(iteration, epoch) / workers;
  }

  @Override
  public ISchedule clone() {
    return new WorkerShareSchedule(recipe.clone(), workers);
  }

  @JsonProperty("recipe")
  public ISchedule recipe() {
    return recipe;
  }

  @JsonProperty("workers")
  public int workers() {
    return workers;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WorkerShareSchedule s && s.workers == workers && s.recipe.equals(recipe);
  }

  @Override
  public int hashCode() {
    return 31 * recipe.hashCode() + workers;
  }

  @Override
  public String toString() {
    return "WorkerShareSchedule(" + recipe + " / " + workers + " workers)";
  }
}
