package org.maespark.data;

/**
 * Cuts an image into MAE's patch order: patch index = row * (W / p) + col; inside a patch, pixels
 * row-major, channels last. Same layout as {@code MaskedAutoencoderViT.patchify} in the official
 * MAE code ({@code nchpwq -> nhwpqc}), in uint8.
 */
public final class Patchifier {
  private Patchifier() {}

  /** [H, W, C] pixels to [L, p, p, C] bytes, L = (H/p) * (W/p). */
  public static byte[] patchify(Pixels img, int p) {
    int w = img.width();
    int h = img.height();
    int c = img.channels();
    if (w % p != 0 || h % p != 0) {
      throw new IllegalArgumentException(
          "image " + w + "x" + h + " is not a multiple of patch size " + p);
    }
    byte[] src = img.data();
    byte[] out = new byte[src.length];
    int gw = w / p;
    int rowBytes = p * c;
    int o = 0;
    for (int gy = 0; gy < h / p; gy++) {
      for (int gx = 0; gx < gw; gx++) {
        for (int y = 0; y < p; y++) { // one patch row = p pixels x C bytes, contiguous in src
          System.arraycopy(src, ((gy * p + y) * w + gx * p) * c, out, o, rowBytes);
          o += rowBytes;
        }
      }
    }
    return out;
  }

  /** Inverse of {@link #patchify}: [L, p, p, C] bytes back to an [H, W, C] image. */
  public static Pixels unpatchify(byte[] patches, int w, int h, int c, int p) {
    byte[] out = new byte[patches.length];
    int gw = w / p;
    int rowBytes = p * c;
    int o = 0;
    for (int gy = 0; gy < h / p; gy++) {
      for (int gx = 0; gx < gw; gx++) {
        for (int y = 0; y < p; y++) {
          System.arraycopy(patches, o, out, ((gy * p + y) * w + gx * p) * c, rowBytes);
          o += rowBytes;
        }
      }
    }
    return new Pixels(out, w, h, c);
  }
}
