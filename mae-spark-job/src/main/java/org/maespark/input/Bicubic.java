package org.maespark.input;

/**
 * Bicubic resampling of a planar float image as PIL's {@code Image.resize(..., BICUBIC)} does it
 * (what torchvision's RandomResizedCrop calls on PIL images): separable Keys cubic with a = -0.5,
 * the kernel widened by the scale factor when shrinking (antialiasing), weights normalised per
 * output pixel, result clamped to [0, 255].
 */
final class Bicubic {
  private static final double A = -0.5;

  private Bicubic() {}

  /** Resizes {@code src} ({@code [C, h, w]} planar, values 0..255) to {@code [C, outH, outW]}. */
  static float[] resize(float[] src, int c, int h, int w, int outH, int outW) {
    if (h == outH && w == outW) {
      return src.clone();
    }
    float[] tmp = new float[c * h * outW]; // [C, h, outW] after the horizontal pass
    Weights wx = weights(w, outW);
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        int row = (ch * h + y) * w;
        for (int x = 0; x < outW; x++) {
          double acc = 0;
          for (int k = 0; k < wx.count[x]; k++) {
            acc += wx.w[x][k] * src[row + wx.first[x] + k];
          }
          tmp[(ch * h + y) * outW + x] = clamp(acc);
        }
      }
    }
    float[] out = new float[c * outH * outW]; // [C, outH, outW]
    Weights wy = weights(h, outH);
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < outH; y++) {
        for (int x = 0; x < outW; x++) {
          double acc = 0;
          for (int k = 0; k < wy.count[y]; k++) {
            acc += wy.w[y][k] * tmp[(ch * h + wy.first[y] + k) * outW + x];
          }
          out[(ch * outH + y) * outW + x] = clamp(acc);
        }
      }
    }
    return out;
  }

  private static float clamp(double v) {
    return (float) Math.max(0.0, Math.min(255.0, v));
  }

  private record Weights(int[] first, int[] count, double[][] w) {}

  /** PIL's precompute_coeffs for one axis: input size {@code in} to output size {@code out}. */
  private static Weights weights(int in, int out) {
    double scale = (double) in / out;
    double filterScale = Math.max(scale, 1.0);
    double support = 2.0 * filterScale;
    int[] first = new int[out];
    int[] count = new int[out];
    double[][] w = new double[out][];
    for (int o = 0; o < out; o++) {
      double center = (o + 0.5) * scale;
      int lo = (int) Math.max(0, Math.floor(center - support + 0.5));
      int hi = (int) Math.min(in, Math.floor(center + support + 0.5));
      double[] ws = new double[Math.max(0, hi - lo)];
      double sum = 0;
      for (int i = lo; i < hi; i++) {
        double v = cubic((i - center + 0.5) / filterScale);
        ws[i - lo] = v;
        sum += v;
      }
      for (int i = 0; i < ws.length; i++) {
        ws[i] = sum != 0 ? ws[i] / sum : 0;
      }
      first[o] = lo;
      count[o] = ws.length;
      w[o] = ws;
    }
    return new Weights(first, count, w);
  }

  private static double cubic(double x) {
    x = Math.abs(x);
    if (x < 1) {
      return ((A + 2) * x - (A + 3)) * x * x + 1;
    }
    if (x < 2) {
      return (((x - 5) * x + 8) * x - 4) * A;
    }
    return 0;
  }
}
