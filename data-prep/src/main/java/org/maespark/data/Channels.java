package org.maespark.data;

/** Grey <-> RGB conversions with PIL's arithmetic. */
final class Channels {
  private Channels() {}

  /** ITU-R 601-2 luma, L = R*299/1000 + G*587/1000 + B*114/1000, rounded as Pillow does. */
  static Pixels toGrey(Pixels rgb) {
    byte[] s = rgb.data();
    byte[] out = new byte[rgb.width() * rgb.height()];
    for (int i = 0; i < out.length; i++) {
      int r = s[3 * i] & 0xff;
      int g = s[3 * i + 1] & 0xff;
      int b = s[3 * i + 2] & 0xff;
      out[i] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
    }
    return new Pixels(out, rgb.width(), rgb.height(), 1);
  }

  /** Grey replicated into R, G and B. */
  static Pixels toRgb(Pixels grey) {
    byte[] s = grey.data();
    byte[] out = new byte[s.length * 3];
    for (int i = 0; i < s.length; i++) {
      out[3 * i] = s[i];
      out[3 * i + 1] = s[i];
      out[3 * i + 2] = s[i];
    }
    return new Pixels(out, grey.width(), grey.height(), 3);
  }
}
