package org.maespark.input;

import java.io.Serializable;

/**
 * One dataset row as the executors see it (DESIGN.md "Dataset"): {@code patches} is uint8 {@code
 * [L, p, p, C]} in MAE's patchify order. {@code index} is the row's stable identity (a hash of its
 * key) that seeds its crops, masks and shuffle position.
 *
 * <p>A plain class rather than a record: Spark's Kryo cannot build records (their final fields are
 * set only through the canonical constructor).
 */
public final class TrainRow implements Serializable {
  private long index;
  private String key;
  private int label;
  private int height;
  private int width;
  private int patch;
  private byte[] patches;

  /** For Kryo. */
  private TrainRow() {}

  public TrainRow(
      long index, String key, int label, int height, int width, int patch, byte[] patches) {
    this.index = index;
    this.key = key;
    this.label = label;
    this.height = height;
    this.width = width;
    this.patch = patch;
    this.patches = patches;
  }

  public long index() {
    return index;
  }

  public String key() {
    return key;
  }

  public int label() {
    return label;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  public int patch() {
    return patch;
  }

  /** uint8 {@code [L, p, p, C]}. */
  public byte[] patches() {
    return patches;
  }

  /** Channels implied by the stored size and the byte count. */
  public int channels() {
    return patches.length / (height * width);
  }

  /** The image as planar {@code [C, H, W]} floats in 0..255 (inverse of MAE's patchify). */
  public float[] toPlanar() {
    int c = channels();
    if ((long) c * height * width != patches.length || height % patch != 0 || width % patch != 0) {
      throw new IllegalArgumentException(
          "row '"
              + key
              + "': "
              + patches.length
              + " patch bytes do not fit height "
              + height
              + ", width "
              + width
              + ", patch "
              + patch);
    }
    float[] out = new float[c * height * width]; // [C, H, W]
    int cols = width / patch;
    int i = 0;
    for (int l = 0; l < (height / patch) * cols; l++) { // patch index = row * cols + col
      int y0 = (l / cols) * patch;
      int x0 = (l % cols) * patch;
      for (int y = 0; y < patch; y++) {
        for (int x = 0; x < patch; x++) {
          for (int ch = 0; ch < c; ch++) { // channels last inside a patch
            out[(ch * height + y0 + y) * width + x0 + x] = patches[i++] & 0xff;
          }
        }
      }
    }
    return out;
  }
}
