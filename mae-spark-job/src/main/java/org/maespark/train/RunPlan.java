package org.maespark.train;

/**
 * Values derived once by the driver from the recipe and the data (STYLE habit 5), each with the
 * sentence that says how it was derived, for the log and {@code state.json}.
 *
 * @param workers training workers
 * @param effectiveBatch images per global step = workers * batch per worker
 * @param absoluteLr peak LR = blr * effectiveBatch / 256
 * @param stepsPerEpoch global steps per epoch (whole averaging rounds; the remainder is dropped
 *     like the official {@code drop_last})
 * @param imagesPerEpoch images trained per epoch = stepsPerEpoch * effectiveBatch
 */
public record RunPlan(
    int workers, int effectiveBatch, double absoluteLr, long stepsPerEpoch, long imagesPerEpoch) {

  /** Derives the plan for {@code trainImages} training images. */
  public static RunPlan derive(TrainConfig t, int workers, long trainImages) {
    int eff = Math.multiplyExact(workers, t.batchPerWorker());
    double lr = t.baseLr() * eff / 256.0;
    long imagesPerRound = (long) eff * t.averagingFrequency();
    long rounds = trainImages / imagesPerRound;
    if (rounds == 0) {
      throw new IllegalArgumentException(
          "training split has "
              + trainImages
              + " images, fewer than one averaging round of "
              + imagesPerRound
              + " (workers "
              + workers
              + " x train.batch_per_worker "
              + t.batchPerWorker()
              + " x train.averaging_frequency "
              + t.averagingFrequency()
              + ")");
    }
    long steps = rounds * t.averagingFrequency();
    if (t.maxStepsPerEpoch() > 0 && steps > t.maxStepsPerEpoch()) {
      long capped = Math.max(1, t.maxStepsPerEpoch() / t.averagingFrequency());
      steps = capped * t.averagingFrequency();
    }
    return new RunPlan(workers, eff, lr, steps, steps * eff);
  }

  /** Rounds of parameter averaging per epoch. */
  public long roundsPerEpoch(int averagingFrequency) {
    return stepsPerEpoch / averagingFrequency;
  }

  /** How each value was derived, for the driver log. */
  public String explain(TrainConfig t, long trainImages) {
    return String.format(
        "effective batch %d = %d workers x %d per worker; absolute lr %.4e = blr %.3e x %d / 256;"
            + " %d steps/epoch = %d train images / (%d x averaging frequency %d), remainder"
            + " dropped%s; %d images/epoch",
        effectiveBatch,
        workers,
        t.batchPerWorker(),
        absoluteLr,
        t.baseLr(),
        effectiveBatch,
        stepsPerEpoch,
        trainImages,
        effectiveBatch,
        t.averagingFrequency(),
        t.maxStepsPerEpoch() > 0 ? " (capped by train.max_steps_per_epoch)" : "",
        imagesPerEpoch);
  }
}
