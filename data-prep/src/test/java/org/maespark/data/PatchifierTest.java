package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Patch order, EXIF orientation and the decode budget on small known inputs. */
class PatchifierTest {
  private static byte[] bytes(int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return b;
  }

  @Test
  void patchIndexIsRowTimesGridWidthPlusColumnAndPixelsRowMajorInside() {
    // 4x4 grey image, value = y * 4 + x, patch 2: patch 1 is the top-right 2x2 block
    byte[] img = new byte[16];
    for (int i = 0; i < 16; i++) {
      img[i] = (byte) i;
    }
    byte[] p = Patchifier.patchify(new Pixels(img, 4, 4, 1), 2);
    assertArrayEquals(bytes(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15), p);
    assertArrayEquals(img, Patchifier.unpatchify(p, 4, 4, 1, 2).data());
  }

  @Test
  void channelsStayLastInsideAPatch() {
    // 2x2 RGB, patch 2: one patch, identical to the [H, W, C] layout
    byte[] img = bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    assertArrayEquals(img, Patchifier.patchify(new Pixels(img, 2, 2, 3), 2));
    // patch 1: four patches, one pixel (3 bytes) each, in row-major order
    assertArrayEquals(img, Patchifier.patchify(new Pixels(img, 2, 2, 3), 1));
  }

  @Test
  void exifOrientationsShowThePixelsAsViewersDo() {
    Pixels img = new Pixels(bytes(0, 1, 2, 3, 4, 5), 3, 2, 1); // [[0,1,2],[3,4,5]]
    assertArrayEquals(bytes(2, 1, 0, 5, 4, 3), ExifOrientation.apply(img, 2).data());
    assertArrayEquals(bytes(5, 4, 3, 2, 1, 0), ExifOrientation.apply(img, 3).data());
    assertArrayEquals(bytes(3, 4, 5, 0, 1, 2), ExifOrientation.apply(img, 4).data());
    Pixels cw = ExifOrientation.apply(img, 6); // rotate 90 clockwise
    assertEquals(2, cw.width());
    assertEquals(3, cw.height());
    assertArrayEquals(bytes(3, 0, 4, 1, 5, 2), cw.data());
    assertArrayEquals(bytes(2, 5, 1, 4, 0, 3), ExifOrientation.apply(img, 8).data());
    assertArrayEquals(bytes(0, 3, 1, 4, 2, 5), ExifOrientation.apply(img, 5).data());
    assertArrayEquals(bytes(5, 2, 4, 1, 3, 0), ExifOrientation.apply(img, 7).data());
  }

  @Test
  void exifOrientationIsReadFromTheRealRotatedPhoto() throws Exception {
    byte[] rotated =
        Files.readAllBytes(PhotoFixture.ROOT.resolve("train/n00000002/n00000002_43.JPEG"));
    assertEquals(6, ExifOrientation.read(rotated));
    byte[] plain =
        Files.readAllBytes(PhotoFixture.ROOT.resolve("train/n00000001/n00000001_1.JPEG"));
    assertEquals(1, ExifOrientation.read(plain));
  }

  @Test
  void hugeImagesAreSubsampledWithinTheBudget() {
    ImageDecoder d = new ImageDecoder(8, 256, 4, 16L << 20, "imageio");
    assertEquals(1, d.subsampling(640, 480));
    assertEquals(2, d.subsampling(5312, 2988)); // keeps >= 4 x 256 on the shorter side
    assertEquals(3, d.subsampling(6028, 3391));
    assertEquals(3, d.subsampling(100_000, 1000)); // pixel cap: 1e8 / 9 < 16.7M
  }
}
