package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The per-channel sums behind the manifest's mean/std, exact for any image size. */
class SplitStatsTest {

  @Test
  void channelSumsAreExactOverManyChunksAndTheLargestPixelValues() {
    for (int channels : new int[] {1, 3}) {
      // 300 x 300 pixels spans several int partial sums; all-255 is where an int would overflow
      byte[] white = new byte[300 * 300 * channels];
      java.util.Arrays.fill(white, (byte) 255);
      byte[] noise = new byte[white.length];
      new Random(channels).nextBytes(noise);
      byte[] odd = new byte[7 * channels]; // shorter than one chunk

      SplitStats.Builder b = new SplitStats.Builder(0, channels);
      long[] sum = new long[channels];
      long[] sq = new long[channels];
      int i = 0;
      for (byte[] p : new byte[][] {white, noise, odd}) {
        b.add(new Outcome("train/k" + i++, "train", "s", 0, p, 1, 1, null));
        for (int j = 0; j < p.length; j++) {
          int v = p[j] & 0xff;
          sum[j % channels] += v;
          sq[j % channels] += (long) v * v;
        }
      }
      SplitStats s = b.build();
      assertEquals(3, s.rows());
      assertArrayEquals(sum, s.sum(), channels + " channel(s)");
      assertArrayEquals(sq, s.sumSquares(), channels + " channel(s)");
    }
  }
}
