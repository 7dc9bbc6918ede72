package org.maespark.input;

import java.util.SplittableRandom;

/**
 * Every random draw of a run derives from the one configured seed through {@link #mix}: per epoch,
 * per row, per purpose. The same (seed, epoch, row) always gives the same crop, flip and mask, on
 * any executor, so an epoch can be replayed exactly (STYLE habit 6).
 */
public final class Seeds {
  /** Purpose tags, so the crop and the mask of one row never share a stream. */
  public static final long AUGMENT = 0x41554755L;

  public static final long MASK = 0x4d41534bL;
  public static final long SHUFFLE = 0x53485546L;
  public static final long EVAL_MASK = 0x45564d4bL;

  private Seeds() {}

  /** A well-mixed 64-bit seed from any sequence of longs (SplitMix64 finalizer, chained). */
  public static long mix(long... parts) {
    long h = 0x9E3779B97F4A7C15L;
    for (long p : parts) {
      h = splitmix(h ^ splitmix(p + 0x632BE59BD9B4E019L));
    }
    return h;
  }

  /** A generator for one purpose of one row of one epoch. */
  public static SplittableRandom rng(long... parts) {
    return new SplittableRandom(mix(parts));
  }

  private static long splitmix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
