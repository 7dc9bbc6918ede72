package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every file of the real photo fixture against Pillow's independent reading of it. */
class ImagePipelineTest {
  private static final DataPrepConfig CONFIG = DataPrepConfig.defaults();

  @Test
  void everyAwkwardKindIsConvertedLikePillowOrRejectedWithAReason() throws Exception {
    ImagePipeline pipeline = new ImagePipeline(CONFIG);
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
      double tol = e.kind().equals("huge_original") ? 0.5 : 0.002;
      assertTrue(d <= tol, e.path() + " (" + e.kind() + ") differs from Pillow by " + d);
    }
    System.out.print(report);
  }
}
