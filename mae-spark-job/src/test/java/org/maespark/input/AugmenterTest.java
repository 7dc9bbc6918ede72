package org.maespark.input;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.api.MultiDataSet;

class AugmenterTest {

  /** A 3-channel 8x8 image with distinct pixels, patchified with p = 4 (MAE order). */
  static TrainRow row(long index) {
    int h = 8;
    int w = 8;
    int p = 4;
    int c = 3;
    byte[] patches = new byte[h * w * c];
    int i = 0;
    for (int l = 0; l < 4; l++) {
      for (int y = 0; y < p; y++) {
        for (int x = 0; x < p; x++) {
          for (int ch = 0; ch < c; ch++) {
            int py = (l / 2) * p + y;
            int px = (l % 2) * p + x;
            patches[i++] = (byte) pixel(ch, py, px);
          }
        }
      }
    }
    return new TrainRow(index, "img" + index, 1, h, w, p, patches);
  }

  static int pixel(int ch, int y, int x) {
    return ch * 80 + y * 9 + x;
  }

  @Test
  void planarIsTheInverseOfPatchify() {
    float[] img = row(0).toPlanar();
    for (int ch = 0; ch < 3; ch++) {
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          assertEquals(pixel(ch, y, x), img[(ch * 8 + y) * 8 + x], 0);
        }
      }
    }
  }

  @Test
  void noneAugmentAtStoredSizeOnlyNormalizes() {
    double[] mean = {0.1, 0.2, 0.3};
    double[] std = {0.5, 0.25, 2.0};
    Augmenter a = new Augmenter(8, 3, 4, false, false, mean, std, 7);
    float[] out = a.image(row(3), 0);
    for (int ch = 0; ch < 3; ch++) {
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          double expected = (pixel(ch, y, x) / 255.0 - mean[ch]) / std[ch];
          assertEquals(expected, out[(ch * 8 + y) * 8 + x], 1e-5);
        }
      }
    }
  }

  @Test
  void drawsReplayPerSeedEpochAndRowAndDifferOtherwise() {
    Augmenter a =
        new Augmenter(8, 3, 4, true, true, Augmenter.IMAGENET_MEAN, Augmenter.IMAGENET_STD, 11);
    assertArrayEquals(a.image(row(5), 2), a.image(row(5), 2));
    assertArrayEquals(a.noise(row(5), 2), a.noise(row(5), 2));
    assertFalse(Arrays.equals(a.noise(row(5), 2), a.noise(row(5), 3)));
    assertFalse(Arrays.equals(a.noise(row(5), 2), a.noise(row(6), 2)));
    Augmenter other = new Augmenter(8, 3, 4, true, true, a.mean(), a.std(), 12);
    assertFalse(Arrays.equals(a.noise(row(5), 2), other.noise(row(5), 2)));
    // over many epochs the crops differ (scale 0.2-1 almost never repeats exactly)
    int distinct = 0;
    float[] first = a.image(row(5), 0);
    for (int e = 1; e < 10; e++) {
      if (!Arrays.equals(first, a.image(row(5), e))) {
        distinct++;
      }
    }
    assertTrue(distinct >= 8, "crops should vary across epochs, " + distinct + " of 9 did");
  }

  @Test
  void randomResizedCropStaysInsideWithPaperScaleAndRatio() {
    SplittableRandom rng = new SplittableRandom(1);
    double minScale = 1;
    double maxScale = 0;
    for (int i = 0; i < 2000; i++) {
      Augmenter.Box b = Augmenter.randomResizedCropBox(224, 300, rng);
      assertTrue(b.top() >= 0 && b.left() >= 0);
      assertTrue(b.top() + b.height() <= 224 && b.left() + b.width() <= 300);
      double scale = (double) b.height() * b.width() / (224.0 * 300);
      double ratio = (double) b.width() / b.height();
      assertTrue(scale > 0.19 && scale <= 1.0, "scale " + scale);
      assertTrue(ratio > 0.74 && ratio < 1.35, "ratio " + ratio);
      minScale = Math.min(minScale, scale);
      maxScale = Math.max(maxScale, scale);
    }
    assertTrue(minScale < 0.25 && maxScale > 0.9, minScale + " .. " + maxScale);
  }

  @Test
  void bicubicKeepsConstantsAndAveragesWhenShrinking() {
    float[] flat = new float[2 * 9 * 7];
    Arrays.fill(flat, 100f);
    for (float v : Bicubic.resize(flat, 2, 9, 7, 4, 13)) {
      assertEquals(100f, v, 1e-3);
    }
    // 16x16 checkerboard 0/200 shrunk 4x: antialiased to ~its mean, not aliased to 0 or 200
    float[] board = new float[16 * 16];
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 16; x++) {
        board[y * 16 + x] = ((x + y) % 2 == 0) ? 0f : 200f;
      }
    }
    for (float v : Bicubic.resize(board, 1, 16, 16, 4, 4)) {
      assertEquals(100f, v, 15f);
    }
  }

  @Test
  void batchHasImgsAndNoiseShapes() {
    Augmenter a =
        new Augmenter(8, 3, 4, true, true, Augmenter.IMAGENET_MEAN, Augmenter.IMAGENET_STD, 3);
    MultiDataSet mds = a.batch(List.of(row(0), row(1), row(2)), 1);
    assertArrayEquals(new long[] {3, 3 * 8 * 8}, mds.getFeatures(0).shape());
    assertArrayEquals(new long[] {3, 4}, mds.getLabels(0).shape());
    assertArrayEquals(a.image(row(1), 1), mds.getFeatures(0).getRow(1).toFloatVector(), 0f);
    float[] n = mds.getLabels(0).toFloatMatrix()[2];
    for (float v : n) {
      assertTrue(v >= 0 && v < 1);
    }
  }
}
