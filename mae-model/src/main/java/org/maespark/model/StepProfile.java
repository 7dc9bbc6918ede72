package org.maespark.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * Wall time per part of the hand-written training step, switched on with {@code
 * -Dmae.step.profile=true} and printed when the JVM exits ({@code PROFILE} lines, seconds per
 * training step). For a one-model benchmark such as {@code TrainStepBench}: the counters are global
 * and not synchronized. CPU backend ops are synchronous, so a lap around a native call is that
 * call's time; what a step spends outside these parts (DL4J's updater bookkeeping, weight decay,
 * the parameter update) is the benchmark's step time minus their sum.
 */
final class StepProfile {
  static final boolean ON = Boolean.getBoolean("mae.step.profile");

  /** Training steps not counted, from the first ({@code -Dmae.step.profile.skip=N}). */
  private static final long SKIP = Long.getLong("mae.step.profile.skip", 0);

  /** The parts of a step, as the breakdown names them. */
  enum Part {
    ATTN_LINEARS("attention qkv/proj gemms"),
    ATTN_MATMULS("attention products (q k^T, A v, backward; with lanes also softmax)"),
    SOFTMAX("softmax (libnd4j path)"),
    HEADS("heads rearranged (libnd4j path: qkv -> per head, back)"),
    MLP_GEMMS("MLP fc1/fc2 gemms"),
    GELU("GELU (erf, exp and the row loops)"),
    LAYERNORM("LayerNorm"),
    OTHER_GEMMS("patch embed, decoder embed and pred gemms"),
    MASKING("masking, gathers, token and position rows"),
    LOSS("target and loss"),
    ADAMW("AdamW");

    final String label;

    Part(String label) {
      this.label = label;
    }
  }

  private static final long[] NANOS = new long[Part.values().length];
  private static long steps;
  private static long forwards;
  private static long forwardNanos; // whole forward passes of training steps
  private static long backwardNanos;
  private static boolean skipped;

  static {
    if (ON) {
      Runtime.getRuntime().addShutdownHook(new Thread(StepProfile::print));
    }
  }

  private StepProfile() {}

  /** A lap's start: now, or 0 when profiling is off. */
  static long start() {
    return ON ? System.nanoTime() : 0;
  }

  /** Adds the time since {@code t0} to {@code part}; returns the start of the next lap. */
  static long lap(Part part, long t0) {
    if (!ON) {
      return 0;
    }
    long t = System.nanoTime();
    NANOS[part.ordinal()] += t - t0;
    return t;
  }

  /** Counts one training step (a backward pass). */
  static void step() {
    // after the warm-up's SKIP steps, start again: JIT compilation and first-touch memory are gone
    if (ON && ++steps == SKIP && !skipped) {
      skipped = true;
      Arrays.fill(NANOS, 0);
      steps = 0;
      forwards = 0;
      forwardNanos = 0;
      backwardNanos = 0;
    }
  }

  /** Adds one training step's forward and backward wall times. */
  static void split(long forward, long backward) {
    if (ON) {
      forwardNanos += forward;
      backwardNanos += backward;
    }
  }

  /** Counts one forward pass (with or without a backward). */
  static void forward() {
    if (ON) {
      forwards++;
    }
  }

  private static void print() {
    if (steps == 0) {
      return;
    }
    long total = 0;
    for (long n : NANOS) {
      total += n;
    }
    for (Part p : Part.values()) {
      System.out.printf(
          Locale.ROOT,
          "PROFILE %-68s %8.4f s/step %5.1f%%%n",
          p.label,
          NANOS[p.ordinal()] / 1e9 / steps,
          100.0 * NANOS[p.ordinal()] / total);
    }
    System.out.printf(
        Locale.ROOT,
        "PROFILE %-68s %8.4f s/step (%d steps; %d forward-only passes counted in)%n",
        "sum",
        total / 1e9 / steps,
        steps,
        forwards - steps);
    System.out.printf(
        Locale.ROOT,
        "PROFILE split fwd / bwd / AdamW s/step %.4f / %.4f / %.4f%n",
        forwardNanos / 1e9 / steps,
        backwardNanos / 1e9 / steps,
        NANOS[Part.ADAMW.ordinal()] / 1e9 / steps);
  }
}
