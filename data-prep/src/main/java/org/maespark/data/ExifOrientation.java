package org.maespark.data;

/**
 * EXIF orientation (TIFF tag 0x0112) of a JPEG, and the transform that shows the pixels the way an
 * EXIF-aware viewer (and PIL's {@code ImageOps.exif_transpose}) does. The JPEG decoder itself
 * ignores the tag: stored pixels are always in sensor order.
 */
final class ExifOrientation {
  private ExifOrientation() {}

  /** Orientation 1..8 from the first APP1 "Exif" segment before the scan; 1 when absent/bad. */
  static int read(byte[] jpeg) {
    int i = 2; // after SOI
    while (i + 4 <= jpeg.length && (jpeg[i] & 0xff) == 0xff) {
      int marker = jpeg[i + 1] & 0xff;
      if (marker == 0xff) { // fill byte
        i++;
        continue;
      }
      if (marker == 0xda || marker == 0xd9) { // start of scan / end of image: no more metadata
        return 1;
      }
      int len = u16(jpeg, i + 2, false);
      int payload = i + 4;
      if (marker == 0xe1 && len >= 8 && payload + len - 2 <= jpeg.length && isExif(jpeg, payload)) {
        return fromTiff(jpeg, payload + 6, payload + len - 2);
      }
      i += 2 + len;
    }
    return 1;
  }

  private static boolean isExif(byte[] b, int p) {
    return b[p] == 'E' && b[p + 1] == 'x' && b[p + 2] == 'i' && b[p + 3] == 'f' && b[p + 4] == 0;
  }

  private static int fromTiff(byte[] b, int tiff, int end) {
    if (tiff + 8 > end) {
      return 1;
    }
    boolean little = b[tiff] == 'I' && b[tiff + 1] == 'I';
    int ifd = tiff + (int) u32(b, tiff + 4, little);
    if (ifd < tiff || ifd + 2 > end) {
      return 1;
    }
    int n = u16(b, ifd, little);
    for (int k = 0; k < n; k++) {
      int e = ifd + 2 + 12 * k;
      if (e + 12 > end) {
        return 1;
      }
      if (u16(b, e, little) == 0x0112 && u16(b, e + 2, little) == 3) { // SHORT
        int v = u16(b, e + 8, little);
        return v >= 1 && v <= 8 ? v : 1;
      }
    }
    return 1;
  }

  private static int u16(byte[] b, int p, boolean little) {
    int a = b[p] & 0xff;
    int c = b[p + 1] & 0xff;
    return little ? a | c << 8 : a << 8 | c;
  }

  private static long u32(byte[] b, int p, boolean little) {
    long hi = u16(b, little ? p + 2 : p, little);
    long lo = u16(b, little ? p : p + 2, little);
    return hi << 16 | lo;
  }

  /** The pixels as displayed under {@code orientation} (1 = unchanged, 6 = rotate 90 cw, ...). */
  static Pixels apply(Pixels in, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return in;
    }
    int w = in.width();
    int h = in.height();
    int c = in.channels();
    boolean swap = orientation >= 5;
    int ow = swap ? h : w;
    int oh = swap ? w : h;
    byte[] src = in.data();
    byte[] out = new byte[src.length];
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int sx;
        int sy;
        switch (orientation) {
          case 2 -> { // mirror horizontally
            sx = w - 1 - x;
            sy = y;
          }
          case 3 -> { // rotate 180
            sx = w - 1 - x;
            sy = h - 1 - y;
          }
          case 4 -> { // mirror vertically
            sx = x;
            sy = h - 1 - y;
          }
          case 5 -> { // transpose
            sx = y;
            sy = x;
          }
          case 6 -> { // rotate 90 clockwise: top-left shows the stored bottom-left
            sx = y;
            sy = h - 1 - x;
          }
          case 7 -> { // transverse
            sx = w - 1 - y;
            sy = h - 1 - x;
          }
          default -> { // 8: rotate 90 counter-clockwise: top-left shows the stored top-right
            sx = w - 1 - y;
            sy = x;
          }
        }
        System.arraycopy(src, (sy * w + sx) * c, out, (y * ow + x) * c, c);
      }
    }
    return new Pixels(out, ow, oh, c);
  }
}
