package org.maespark.eval;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import javax.imageio.ImageIO;
import org.maespark.model.Reconstruction;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code recon.png}: one row per image, columns original | masked | reconstruction | reconstruction
 * with the visible patches pasted back (the official demo notebook's figure). Pixels are mapped
 * back from the normalised input space with the dataset mean/std; small images are enlarged
 * (nearest neighbour) so patches stay visible.
 */
public final class ReconPicture {
  private ReconPicture() {}

  /**
   * @param imgs the input {@code [N, C, H, W]} (normalised)
   * @param r the model's reconstruction of {@code imgs}
   */
  public static BufferedImage render(INDArray imgs, Reconstruction r, double[] mean, double[] std) {
    INDArray[] cols = {imgs, r.masked(), r.predicted(), r.pasted()};
    int n = (int) imgs.size(0);
    int c = (int) imgs.size(1);
    int h = (int) imgs.size(2);
    int w = (int) imgs.size(3);
    int scale = Math.max(1, 112 / Math.max(h, w));
    int gap = 2;
    int cellW = w * scale + gap;
    int cellH = h * scale + gap;
    BufferedImage out =
        new BufferedImage(cols.length * cellW, n * cellH, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < cols.length; k++) {
        float[] px =
            cols[k]
                .get(org.nd4j.linalg.indexing.NDArrayIndex.point(i))
                .dup()
                .data()
                .asFloat(); // [C*H*W]
        for (int y = 0; y < h * scale; y++) {
          for (int x = 0; x < w * scale; x++) {
            int[] rgb = new int[3];
            for (int ch = 0; ch < 3; ch++) {
              int src = Math.min(ch, c - 1); // grey: the one channel three times
              double v = px[(src * h + y / scale) * w + x / scale] * std[src] + mean[src];
              rgb[ch] = (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
            }
            out.setRGB(k * cellW + x, i * cellH + y, (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]);
          }
        }
      }
    }
    return out;
  }

  public static void writePng(BufferedImage img, OutputStream out) throws IOException {
    if (!ImageIO.write(img, "png", out)) {
      throw new IOException("no PNG writer available");
    }
  }
}
