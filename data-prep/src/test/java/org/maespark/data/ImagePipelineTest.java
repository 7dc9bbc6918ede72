package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.maespark.conf.Settings;

/** Every file of the real photo fixture against Pillow's independent reading of it. */
class ImagePipelineTest {
  private static final DataPrepConfig CONFIG =
      DataPrepConfig.fromSettings(Settings.load(null, List.of("data.decoder=imageio")));

  @Test
  void everyAwkwardKindIsConvertedLikePillowOrRejectedWithAReason() throws Exception {
    checkFixture(new ImagePipeline(CONFIG), 0.5);
  }

  /**
   * With libjpeg-turbo (Pillow's own decoder) the pixels match too; the huge file is decoded at 1/2
   * scale in the DCT domain instead of subsampled (measured 0.20). Where libturbojpeg is not
   * installed, "auto" must fall back to ImageIO and an explicit "turbojpeg" must fail by name.
   */
  @Test
  void turboJpegDecoderMatchesPillowOrIsRefusedClearlyWhereMissing() throws Exception {
    DataPrepConfig turbo =
        DataPrepConfig.fromSettings(Settings.load(null, List.of("data.decoder=turbojpeg")));
    if (TurboJpeg.available()) {
      assertEquals("turbojpeg", ImageDecoder.resolve("auto"));
      checkFixture(new ImagePipeline(turbo), 0.5);
    } else {
      assertEquals("imageio", ImageDecoder.resolve("auto"));
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> new ImagePipeline(turbo));
      assertTrue(e.getMessage().contains("data.decoder=turbojpeg"), e.getMessage());
    }
  }

  private static void checkFixture(ImagePipeline pipeline, double hugeTolerance) throws Exception {
    StringBuilder report = new StringBuilder();
    for (PhotoFixture.Expected e : PhotoFixture.expected()) {
      byte[] file = Files.readAllBytes(PhotoFixture.ROOT.resolve(e.path()));
      boolean tooSmall = e.pilOk() && Math.min(e.width(), e.height()) < CONFIG.minSide();
      if (!e.pilOk() || tooSmall) {
        RejectException r =
            assertThrows(RejectException.class, () -> pipeline.prepare(file), e.path());
        Set<String> stages = tooSmall ? Set.of("size") : Set.of("read", "decode", "truncated");
        assertTrue(
            stages.contains(r.reject().stage()), e.path() + " rejected as " + r.getMessage());
        assertFalse(r.reject().reason().isBlank());
        report.append(e.kind()).append(" -> reject ").append(r.getMessage()).append('\n');
        continue;
      }
      ImagePipeline.Prepared p;
      try {
        p = pipeline.prepare(file);
      } catch (RejectException r) {
        fail(e.path() + " (" + e.kind() + ") rejected: " + r.getMessage());
        return;
      }
      assertEquals(e.width(), p.origWidth(), e.path());
      assertEquals(e.height(), p.origHeight(), e.path());
      assertEquals(CONFIG.patchBytes(), p.patches().length);
      Pixels img = Patchifier.unpatchify(p.patches(), 256, 256, 3, 16);
      double d = PhotoFixture.maxAbsDiff(PhotoFixture.blockMeans(img, 32), e.blockMeans());
      report
          .append(e.kind())
          .append(' ')
          .append(e.path())
          .append(" max block diff ")
          .append(d)
          .append('\n');
      // Same IDCT (libjpeg islow) and Pillow's resize arithmetic: the pixels are bit-identical, so
      // only the fixture's 3-decimal rounding remains. The huge file is decoded 2x subsampled to
      // bound memory (Pillow reads every pixel): measured 0.29, allowed 0.5.
      double tol = e.kind().equals("huge_original") ? hugeTolerance : 0.002;
      assertTrue(d <= tol, e.path() + " (" + e.kind() + ") differs from Pillow by " + d);
    }
    System.out.print(report);
  }
}
