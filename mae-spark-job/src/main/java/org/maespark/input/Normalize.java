package org.maespark.input;

/** {@code train.normalize}: which per-channel mean/std the input is normalised with. */
public enum Normalize {
  /** The dataset's train statistics from its manifest (ImageNet's when it has none). */
  MANIFEST,
  /** The ImageNet constants MAE uses. */
  IMAGENET
}
