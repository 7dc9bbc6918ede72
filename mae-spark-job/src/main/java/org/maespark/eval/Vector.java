package org.maespark.eval;

import java.io.Serializable;

/**
 * One row's evaluation vector as it comes back from the executors: its identity, its label and
 * either encoder features ({@code [2D]}: cls token ++ mean of patch tokens) or raw pixels. A plain
 * class, not a record: Spark's Kryo cannot build records.
 */
public final class Vector implements Serializable {
  private long index;
  private int label;
  private float[] values;

  /** For Kryo. */
  private Vector() {}

  public Vector(long index, int label, float[] values) {
    this.index = index;
    this.label = label;
    this.values = values;
  }

  public long index() {
    return index;
  }

  public int label() {
    return label;
  }

  public float[] values() {
    return values;
  }
}
