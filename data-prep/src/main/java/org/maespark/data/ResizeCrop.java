package org.maespark.data;

/**
 * Resize so the shorter side becomes {@code size} (antialiased bicubic), then centre-crop to {@code
 * size x size}: torchvision's {@code Resize(size, BICUBIC)} + {@code CenterCrop(size)} on a PIL
 * image, which is MAE's evaluation transform.
 *
 * <p>The arithmetic follows Pillow's {@code Resample.c} (bicubic a = -0.5, the kernel stretched by
 * the downscale factor so downsizing averages instead of aliasing, 22-bit fixed-point weights,
 * horizontal pass then vertical pass, 8-bit rounding in between), so on the same decoded pixels the
 * output equals Pillow's to the bit. Only the cropped window is computed.
 */
public final class ResizeCrop {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private ResizeCrop() {}

  /** [size, size, C] pixels of {@code in} resized on its shorter side and centre-cropped. */
  public static Pixels apply(Pixels in, int size) {
    int w = in.width();
    int h = in.height();
    // torchvision Resize(int): shorter side -> size, longer side truncated
    int rw;
    int rh;
    if (w <= h) {
      rw = size;
      rh = (int) ((long) size * h / w);
    } else {
      rh = size;
      rw = (int) ((long) size * w / h);
    }
    // torchvision CenterCrop: int(round((rh - size) / 2.0)), Python rounds half to even
    int top = (int) Math.rint((rh - size) / 2.0);
    int left = (int) Math.rint((rw - size) / 2.0);
    Coeffs cx = Coeffs.of(w, rw, left, size);
    Coeffs cy = Coeffs.of(h, rh, top, size);
    int c = in.channels();
    // horizontal pass over only the source rows the vertical pass reads
    int y0 = cy.firstSource();
    int y1 = cy.lastSource();
    int rows = y1 - y0;
    byte[] src = in.data();
    byte[] mid = new byte[rows * size * c]; // [rows, size, C]
    int half = 1 << (PRECISION_BITS - 1);
    for (int y = 0; y < rows; y++) {
      int srow = (y0 + y) * w * c;
      int drow = y * size * c;
      for (int x = 0; x < size; x++) {
        int n = cx.len[x];
        int kb = x * cx.ksize;
        int base = srow + cx.min[x] * c;
        if (c == 3) { // all channels in one sweep over the taps
          int s0 = half;
          int s1 = half;
          int s2 = half;
          for (int k = 0; k < n; k++, base += 3) {
            int wk = cx.k[kb + k];
            s0 += (src[base] & 0xff) * wk;
            s1 += (src[base + 1] & 0xff) * wk;
            s2 += (src[base + 2] & 0xff) * wk;
          }
          mid[drow + 3 * x] = clip8(s0);
          mid[drow + 3 * x + 1] = clip8(s1);
          mid[drow + 3 * x + 2] = clip8(s2);
        } else {
          int s0 = half;
          for (int k = 0; k < n; k++) {
            s0 += (src[base + k] & 0xff) * cx.k[kb + k];
          }
          mid[drow + x] = clip8(s0);
        }
      }
    }
    // vertical pass: whole rows at a time, so the inner loop runs over contiguous bytes
    byte[] out = new byte[size * size * c]; // [size, size, C]
    int rowBytes = size * c;
    int[] acc = new int[rowBytes];
    for (int y = 0; y < size; y++) {
      java.util.Arrays.fill(acc, half);
      int n = cy.len[y];
      int kb = y * cy.ksize;
      for (int k = 0; k < n; k++) {
        int wk = cy.k[kb + k];
        int off = (cy.min[y] - y0 + k) * rowBytes;
        for (int i = 0; i < rowBytes; i++) {
          acc[i] += (mid[off + i] & 0xff) * wk;
        }
      }
      int o = y * rowBytes;
      for (int i = 0; i < rowBytes; i++) {
        out[o + i] = clip8(acc[i]);
      }
    }
    return new Pixels(out, size, size, c);
  }

  private static byte clip8(int ss) {
    int v = ss >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /** Fixed-point bicubic weights of outputs [from, from + count) of an inSize -> outSize resize. */
  private record Coeffs(int[] min, int[] len, int[] k, int ksize) {
    static Coeffs of(int inSize, int outSize, int from, int count) {
      double scale = (double) inSize / outSize;
      double filterscale = Math.max(scale, 1.0);
      double support = 2.0 * filterscale; // bicubic support is 2
      int ksize = (int) Math.ceil(support) * 2 + 1;
      int[] min = new int[count];
      int[] len = new int[count];
      int[] k = new int[count * ksize];
      double[] w = new double[ksize];
      for (int i = 0; i < count; i++) {
        double center = (from + i + 0.5) * scale;
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
        double sum = 0;
        for (int x = 0; x < xmax; x++) {
          w[x] = bicubic((x + xmin - center + 0.5) / filterscale);
          sum += w[x];
        }
        for (int x = 0; x < xmax; x++) {
          double v = sum != 0 ? w[x] / sum : w[x];
          k[i * ksize + x] =
              (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
        }
        min[i] = xmin;
        len[i] = xmax;
      }
      return new Coeffs(min, len, k, ksize);
    }

    int firstSource() {
      int m = Integer.MAX_VALUE;
      for (int v : min) {
        m = Math.min(m, v);
      }
      return m;
    }

    int lastSource() {
      int m = 0;
      for (int i = 0; i < min.length; i++) {
        m = Math.max(m, min[i] + len[i]);
      }
      return m;
    }
  }

  private static double bicubic(double x) {
    double a = -0.5;
    x = Math.abs(x);
    if (x < 1.0) {
      return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * a;
    }
    return 0.0;
  }
}
