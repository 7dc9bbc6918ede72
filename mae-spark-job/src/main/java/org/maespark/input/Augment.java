package org.maespark.input;

/** {@code train.augment}: what the input pipeline does to a training image. */
public enum Augment {
  /** RandomResizedCrop + random horizontal flip (MAE's recipe). */
  RRC,
  /** The centre view with a random horizontal flip. */
  FLIP,
  /** The centre view only. */
  NONE
}
