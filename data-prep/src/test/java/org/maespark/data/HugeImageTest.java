package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.maespark.conf.Settings;

/**
 * A 8000 x 5338 JPEG (42.7 MP, made here by upscaling a real fixture photo: committing one would
 * cost megabytes) is decoded within the pixel budget and still looks like the photo it came from.
 */
class HugeImageTest {
  private static final String SOURCE = "train/n00000004/n00000004_42.JPEG"; // 640x427, q100 4:4:4

  @Test
  void hugeJpegIsDecodedWithinBudgetByBothDecoders() throws Exception {
    BufferedImage small = ImageIO.read(PhotoFixture.ROOT.resolve(SOURCE).toFile());
    BufferedImage big = new BufferedImage(8000, 5338, BufferedImage.TYPE_3BYTE_BGR);
    var g = big.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(small, 0, 0, 8000, 5338, null);
    g.dispose();
    ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
    ImageIO.write(big, "jpeg", jpeg);
    big = null; // only the compressed bytes from here on
    PhotoFixture.Expected want =
        PhotoFixture.expected().stream()
            .filter(e -> e.path().equals(SOURCE))
            .findFirst()
            .orElseThrow();

    long budget = 4L << 20; // 4 MP, a tenth of the image
    for (String decoder :
        TurboJpeg.available() ? List.of("imageio", "turbojpeg") : List.of("imageio")) {
      DataPrepConfig c =
          DataPrepConfig.fromSettings(
              Settings.load(
                  null, List.of("data.decoder=" + decoder, "data.max_decode_pixels=" + budget)));
      ImageDecoder.Decoded d = ImageDecoder.of(c).decode(jpeg.toByteArray());
      assertEquals(8000, d.origWidth());
      assertEquals(5338, d.origHeight());
      long decoded = (long) d.pixels().width() * d.pixels().height();
      assertTrue(decoded <= budget, decoder + " decoded " + decoded + " pixels");
      assertTrue(d.pixels().height() >= 4 * 256 / 2, decoder + " kept " + d.pixels().height());

      ImagePipeline.Prepared p = new ImagePipeline(c).prepare(jpeg.toByteArray());
      Pixels img = Patchifier.unpatchify(p.patches(), 256, 256, 3, 16);
      double diff = PhotoFixture.maxAbsDiff(PhotoFixture.blockMeans(img, 32), want.blockMeans());
      System.out.printf(
          "%s: decoded %dx%d, max block diff %.2f%n",
          decoder, d.pixels().width(), d.pixels().height(), diff);
      // bilinear upscaling, JPEG re-encoding at quality 75 and subsampling all blur a little
      // (measured 1.3 with either decoder); a wrong orientation, colour order or crop is off by
      // tens
      assertTrue(diff < 3, decoder + ": 32x32 block means differ from Pillow's by " + diff);
    }
  }
}
