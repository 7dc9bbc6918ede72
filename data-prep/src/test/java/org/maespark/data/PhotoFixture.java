package org.maespark.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/** The committed photo tree and Pillow's expectations for it (see resources/photos/README.md). */
final class PhotoFixture {
  static final Path ROOT = resource("photos");
  static final Path FMNIST = resource("fmnist-small");

  /** One line of expected.tsv: Pillow's outcome and 8x8x3 block means at 256x256. */
  record Expected(
      String path, String kind, boolean pilOk, int width, int height, double[] blockMeans) {}

  private PhotoFixture() {}

  static Path resource(String name) {
    try {
      return Paths.get(PhotoFixture.class.getClassLoader().getResource(name).toURI());
    } catch (Exception e) {
      throw new IllegalStateException("test resource " + name + " missing", e);
    }
  }

  static List<Expected> expected() {
    try {
      return Files.readAllLines(ROOT.resolve("expected.tsv")).stream()
          .skip(1)
          .map(l -> l.split("\t", -1))
          .map(
              f ->
                  new Expected(
                      f[0],
                      f[1],
                      f[2].equals("ok"),
                      Integer.parseInt(f[3]),
                      Integer.parseInt(f[4]),
                      f[2].equals("ok")
                          ? java.util.Arrays.stream(f[5].split(" "))
                              .mapToDouble(Double::parseDouble)
                              .toArray()
                          : new double[0]))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Mean of each {@code block x block} tile per channel, [H/b, W/b, C] row-major. */
  static double[] blockMeans(Pixels px, int block) {
    int gw = px.width() / block;
    int gh = px.height() / block;
    int c = px.channels();
    double[] m = new double[gw * gh * c];
    for (int y = 0; y < px.height(); y++) {
      for (int x = 0; x < px.width(); x++) {
        for (int ch = 0; ch < c; ch++) {
          m[((y / block) * gw + x / block) * c + ch] += px.get(x, y, ch);
        }
      }
    }
    for (int i = 0; i < m.length; i++) {
      m[i] /= block * block;
    }
    return m;
  }

  static double maxAbsDiff(double[] a, double[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }
}
