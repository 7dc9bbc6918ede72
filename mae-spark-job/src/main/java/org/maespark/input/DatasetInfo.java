package org.maespark.input;

import org.apache.hadoop.conf.Configuration;
import org.maespark.data.DatasetManifest;
import org.maespark.data.DatasetReader;

/**
 * What training needs from a data-prep dataset's {@code manifest.json} (DESIGN.md "Dataset"):
 * stored size, patch size, channels, the train split's per-channel mean/std, class count, and the
 * dataset digest (saved in every checkpoint so a run can prove what it trained on).
 *
 * @param uri dataset root
 * @param height stored height
 * @param width stored width
 * @param patch stored patch size
 * @param channels channels
 * @param mean train mean per channel in [0, 1] units (null when the manifest has none)
 * @param std train std per channel in [0, 1] units (null when the manifest has none)
 * @param numClasses classes (0 when unlabelled)
 * @param digest the dataset's content digest (data-prep's sha256 over every row)
 */
public record DatasetInfo(
    String uri,
    int height,
    int width,
    int patch,
    int channels,
    double[] mean,
    double[] std,
    int numClasses,
    String digest) {

  public static final String MANIFEST = DatasetManifest.FILE;

  /** Reads and checks the manifest of the dataset at {@code uri}; refuses unpublished datasets. */
  public static DatasetInfo read(String uri, Configuration conf) {
    return of(uri, DatasetReader.readManifest(uri, conf));
  }

  /** The training view of a data-prep manifest. */
  public static DatasetInfo of(String uri, DatasetManifest m) {
    return new DatasetInfo(
        uri,
        m.imageSize(),
        m.imageSize(),
        m.patch(),
        m.channels(),
        m.mean(),
        m.std(),
        m.classes() == null ? 0 : m.classes().size(),
        m.digest());
  }

  /**
   * Refuses a dataset the model cannot train on, naming the field, the value and what was expected:
   * the patch size and channels must match, the stored images must be square at least the model's
   * size (MAE crops from them) and divisible into patches.
   */
  public void checkFits(int imgSize, int modelPatch, int modelChannels) {
    String where = uri + "/" + MANIFEST;
    if (channels != modelChannels) {
      throw new IllegalArgumentException(
          where + ": channels = " + channels + ", model.in_chans = " + modelChannels);
    }
    if (patch != modelPatch && (height % modelPatch != 0 || width % modelPatch != 0)) {
      throw new IllegalArgumentException(
          where + ": patch = " + patch + " does not tile for model.patch = " + modelPatch);
    }
    if (height < imgSize || width < imgSize) {
      throw new IllegalArgumentException(
          where
              + ": stored size "
              + height
              + "x"
              + width
              + " is smaller than model.img_size = "
              + imgSize);
    }
  }

  /** Mean/std to normalise with: the manifest's when asked and present, else ImageNet's. */
  public double[][] normalization(Normalize mode) {
    if (mode == Normalize.MANIFEST && mean != null && std != null) {
      return new double[][] {mean, std};
    }
    return imagenetNormalization(channels);
  }

  /** ImageNet's per-channel mean/std (for grey images, the mean of the three channels'). */
  public static double[][] imagenetNormalization(int channels) {
    double[] m = new double[channels];
    double[] s = new double[channels];
    for (int c = 0; c < channels; c++) {
      m[c] = channels == 3 ? Augmenter.IMAGENET_MEAN[c] : 0.449; // grey: mean of RGB constants
      s[c] = channels == 3 ? Augmenter.IMAGENET_STD[c] : 0.226;
    }
    return new double[][] {m, s};
  }
}
