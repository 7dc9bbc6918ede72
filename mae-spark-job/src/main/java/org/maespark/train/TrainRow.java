package org.maespark.train;

import java.io.Serializable;

/**
 * One dataset row as the executors see it (DESIGN.md "Dataset"): {@code patches} is uint8 {@code
 * [L, p, p, C]} in MAE's patchify order. {@code index} is the row's fixed position in its split,
 * the identity that seeds its crops and masks.
 */
public record TrainRow(
    long index, String key, int label, int height, int width, int patch, byte[] patches)
    implements Serializable {

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
