package org.maespark.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What training needs from a data-prep dataset's {@code manifest.json} (DESIGN.md "Dataset"):
 * stored size, patch size, channels, the train split's per-channel mean/std, class count, and the
 * manifest's digest (saved in every checkpoint so a run can prove what it trained on).
 *
 * @param uri dataset root
 * @param height stored height
 * @param width stored width
 * @param patch stored patch size
 * @param channels channels
 * @param mean train mean per channel in [0, 1] units (null when the manifest has none)
 * @param std train std per channel in [0, 1] units (null when the manifest has none)
 * @param numClasses classes (0 when unlabelled)
 * @param digest SHA-256 of the manifest bytes
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

  public static final String MANIFEST = "manifest.json";
  public static final String SUCCESS = "_SUCCESS";

  /** Reads and checks the manifest of the dataset at {@code uri}; refuses unpublished datasets. */
  public static DatasetInfo read(String uri, Configuration conf) throws IOException {
    Path root = new Path(uri);
    FileSystem fs = FileSystem.get(URI.create(uri), conf);
    if (!fs.exists(new Path(root, SUCCESS))) {
      throw new IOException(
          "dataset " + uri + " has no " + SUCCESS + ": not a complete data-prep output");
    }
    byte[] bytes;
    try (InputStream in = fs.open(new Path(root, MANIFEST))) {
      bytes = in.readAllBytes();
    }
    return parse(uri, bytes);
  }

  static DatasetInfo parse(String uri, byte[] bytes) throws IOException {
    JsonNode m = new ObjectMapper().readTree(bytes);
    String where = uri + "/" + MANIFEST;
    int patch = requireInt(m, where, "patch");
    int channels = requireInt(m, where, "channels");
    int height = intOf(m, "height", intOf(m, "stored_size", intOf(m, "size", -1)));
    int width = intOf(m, "width", intOf(m, "stored_size", intOf(m, "size", -1)));
    if (height <= 0 || width <= 0) {
      throw new IOException(where + ": no stored size ('height'/'width' or 'stored_size')");
    }
    double[] mean = doubles(m.path("mean"));
    double[] std = doubles(m.path("std"));
    if ((mean != null && mean.length != channels) || (std != null && std.length != channels)) {
      throw new IOException(
          where + ": mean/std must have one value per channel (" + channels + ")");
    }
    JsonNode classes = m.path("classes");
    int numClasses = classes.isArray() || classes.isObject() ? classes.size() : 0;
    return new DatasetInfo(
        uri, height, width, patch, channels, mean, std, numClasses, sha256(bytes));
  }

  private static int requireInt(JsonNode m, String where, String field) throws IOException {
    JsonNode v = m.path(field);
    if (!v.canConvertToInt() || v.asInt() <= 0) {
      throw new IOException(where + ": field '" + field + "' = " + v + ", expected an integer > 0");
    }
    return v.asInt();
  }

  private static int intOf(JsonNode m, String field, int def) {
    JsonNode v = m.path(field);
    return v.canConvertToInt() ? v.asInt() : def;
  }

  private static double[] doubles(JsonNode a) {
    if (!a.isArray()) {
      return null;
    }
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asDouble();
    }
    return out;
  }

  private static String sha256(byte[] bytes) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "sha256:" + String.format("%064x", new BigInteger(1, d));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
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
  public double[][] normalization(String mode) {
    if (mode.equals("manifest") && mean != null && std != null) {
      return new double[][] {mean, std};
    }
    double[] m = new double[channels];
    double[] s = new double[channels];
    for (int c = 0; c < channels; c++) {
      m[c] = channels == 3 ? Augmenter.IMAGENET_MEAN[c] : 0.449; // grey: mean of RGB constants
      s[c] = channels == 3 ? Augmenter.IMAGENET_STD[c] : 0.226;
    }
    return new double[][] {m, s};
  }
}
