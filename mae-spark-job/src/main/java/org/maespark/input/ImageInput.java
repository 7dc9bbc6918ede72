package org.maespark.input;

import java.awt.image.BufferedImage;

/**
 * A decoded picture as model input, for commands that take image files: largest centred square,
 * bicubic resize to the model size, grey or RGB as the model wants, normalised.
 */
public final class ImageInput {
  private ImageInput() {}

  /** {@code [C*S*S]} normalised input from {@code img}. */
  public static float[] normalised(
      BufferedImage img, int size, int channels, double[] mean, double[] std) {
    int h = img.getHeight();
    int w = img.getWidth();
    float[] planar = new float[channels * h * w]; // [C, H, W], 0..255
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = img.getRGB(x, y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (channels == 1) {
          planar[y * w + x] = (float) (0.299 * r + 0.587 * g + 0.114 * b); // ITU-R 601, as PIL "L"
        } else {
          planar[y * w + x] = r;
          planar[(h + y) * w + x] = g;
          planar[(2 * h + y) * w + x] = b;
        }
      }
    }
    int side = Math.min(h, w);
    int top = (h - side) / 2;
    int left = (w - side) / 2;
    float[] square = new float[channels * side * side];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < side; y++) {
        System.arraycopy(planar, (c * h + top + y) * w + left, square, (c * side + y) * side, side);
      }
    }
    float[] resized = Bicubic.resize(square, channels, side, side, size, size);
    for (int c = 0; c < channels; c++) {
      for (int i = 0; i < size * size; i++) {
        int k = c * size * size + i;
        resized[k] = (float) ((resized[k] / 255.0 - mean[c]) / std[c]);
      }
    }
    return resized;
  }
}
