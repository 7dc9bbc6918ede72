package org.maespark.data;

/**
 * An 8-bit image in memory: {@code data} is [height, width, channels] row-major, channels last (RGB
 * order for 3 channels).
 */
public record Pixels(byte[] data, int width, int height, int channels) {
  public Pixels {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels = " + channels + ", expected 1 or 3");
    }
    if ((long) width * height * channels != data.length) {
      throw new IllegalArgumentException(
          "pixel buffer has "
              + data.length
              + " bytes, expected "
              + width
              + "x"
              + height
              + "x"
              + channels);
    }
  }

  /** Value of channel {@code c} at column {@code x}, row {@code y}, as 0..255. */
  public int get(int x, int y, int c) {
    return data[(y * width + x) * channels + c] & 0xff;
  }
}
