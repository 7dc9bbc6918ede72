package org.maespark.input;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.maespark.conf.Settings;
import org.maespark.data.DataPrepConfig;
import org.maespark.data.ImagePipeline;
import org.maespark.data.RejectException;

/**
 * Image files as model input, for commands that take them ({@code inspect --images}): data-prep's
 * own pipeline at the model's size and patch (EXIF orientation, alpha dropped, grey or RGB as the
 * model wants, Pillow-exact resize of the shorter side and centre crop), then the centre view
 * normalised as evaluation does it. So a picture is turned into exactly the pixels a dataset row of
 * the same file would give.
 */
public final class ImageInput {
  private final int size;
  private final int patch;
  private final ImagePipeline pipeline;
  private final Augmenter centre;

  /**
   * For a model of input size {@code size}, {@code channels}, {@code patch}; mean/std in [0, 1].
   */
  public ImageInput(
      int size, int patch, int channels, int numPatches, double[] mean, double[] std) {
    this.size = size;
    this.patch = patch;
    this.pipeline =
        new ImagePipeline(
            DataPrepConfig.fromSettings(
                Settings.load(
                    null,
                    List.of(
                        "data.image_size=" + size,
                        "data.patch=" + patch,
                        "data.channels=" + channels,
                        "data.min_side=1")))); // a user's picture of any size is welcome
    this.centre = new Augmenter(size, channels, numPatches, false, false, mean, std, 0);
  }

  /** {@code [C*S*S]} normalised input from the image file {@code file}. */
  public float[] normalised(Path file) throws IOException {
    ImagePipeline.Prepared p;
    byte[] bytes = Files.readAllBytes(file); // a missing file: NoSuchFileException names it
    try {
      p = pipeline.prepare(bytes);
    } catch (RejectException | RuntimeException e) {
      // decoders say what is wrong (a truncated PNG, a corrupt JPEG) but not in which file
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
    return centre.image(new TrainRow(0, file.toString(), -1, size, size, patch, p.patches()), 0);
  }
}
