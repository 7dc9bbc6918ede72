package org.maespark.input;

import java.io.Serializable;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The executor-side input pipeline of the official {@code main_pretrain.py}: uint8 patches -> image
 * -> RandomResizedCrop(size, scale (0.2, 1.0), ratio (3/4, 4/3), bicubic) -> horizontal flip ->
 * normalize, plus the masking noise. Every draw comes from {@link Seeds} keyed on (seed, epoch, row
 * index), never from a shared generator, so the same row in the same epoch always gives the same
 * input wherever it runs.
 *
 * @param size model input size S (square)
 * @param channels C
 * @param numPatches L, the length of the masking noise
 * @param randomCrop RandomResizedCrop when true; centre square resized to S when false
 * @param flip random horizontal flip (p = 0.5)
 * @param mean per-channel mean in [0, 1] units
 * @param std per-channel std in [0, 1] units
 * @param seed the run seed
 */
public record Augmenter(
    int size,
    int channels,
    int numPatches,
    boolean randomCrop,
    boolean flip,
    double[] mean,
    double[] std,
    long seed)
    implements Serializable {

  /** ImageNet statistics, as MAE uses them (and repeated per channel for other channel counts). */
  public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};

  public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};
  static final double SCALE_MIN = 0.2;
  static final double SCALE_MAX = 1.0;
  static final double LOG_RATIO_MIN = Math.log(3.0 / 4.0);
  static final double LOG_RATIO_MAX = Math.log(4.0 / 3.0);

  public Augmenter {
    if (mean.length != channels || std.length != channels) {
      throw new IllegalArgumentException(
          "normalization has "
              + mean.length
              + " means / "
              + std.length
              + " stds; expected one per channel ("
              + channels
              + ")");
    }
  }

  /** Crop box in source pixels: top row, left column, height, width. */
  record Box(int top, int left, int height, int width) {}

  /** torchvision's RandomResizedCrop.get_params: ten tries, then the centre fallback. */
  static Box randomResizedCropBox(int h, int w, SplittableRandom rng) {
    double area = (double) h * w;
    for (int attempt = 0; attempt < 10; attempt++) {
      double target = area * (SCALE_MIN + (SCALE_MAX - SCALE_MIN) * rng.nextDouble());
      double ratio = Math.exp(LOG_RATIO_MIN + (LOG_RATIO_MAX - LOG_RATIO_MIN) * rng.nextDouble());
      int cw = (int) Math.round(Math.sqrt(target * ratio));
      int ch = (int) Math.round(Math.sqrt(target / ratio));
      if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
        int top = rng.nextInt(h - ch + 1);
        int left = rng.nextInt(w - cw + 1);
        return new Box(top, left, ch, cw);
      }
    }
    double inRatio = (double) w / h;
    int cw;
    int ch;
    if (inRatio < 3.0 / 4.0) {
      cw = w;
      ch = (int) Math.round(w / (3.0 / 4.0));
    } else if (inRatio > 4.0 / 3.0) {
      ch = h;
      cw = (int) Math.round(h * (4.0 / 3.0));
    } else {
      cw = w;
      ch = h;
    }
    return new Box((h - ch) / 2, (w - cw) / 2, ch, cw);
  }

  /** Largest centred square (the {@code none} augmentation). */
  static Box centreBox(int h, int w) {
    int s = Math.min(h, w);
    return new Box((h - s) / 2, (w - s) / 2, s, s);
  }

  /** The pipeline for {@code train.augment}: rrc (crop + flip), flip (flip only), none. */
  public static Augmenter forMode(
      Augment mode,
      int size,
      int channels,
      int numPatches,
      double[] mean,
      double[] std,
      long seed) {
    return new Augmenter(
        size, channels, numPatches, mode == Augment.RRC, mode != Augment.NONE, mean, std, seed);
  }

  /** Model input for {@code row} in {@code epoch}: {@code [C*S*S]} normalised, NCHW order. */
  public float[] image(TrainRow row, int epoch) {
    if (row.channels() != channels) {
      throw new IllegalArgumentException(
          "row '" + row.key() + "' has " + row.channels() + " channels; model expects " + channels);
    }
    float[] src = row.toPlanar(); // [C, H, W], 0..255
    SplittableRandom rng = Seeds.rng(seed, Seeds.AUGMENT, epoch, row.index());
    Box box =
        randomCrop
            ? randomResizedCropBox(row.height(), row.width(), rng)
            : centreBox(row.height(), row.width());
    boolean mirror = flip && rng.nextDouble() < 0.5;
    float[] crop = crop(src, row.height(), row.width(), box); // [C, bh, bw]
    float[] img = Bicubic.resize(crop, channels, box.height(), box.width(), size, size);
    float[] out = new float[channels * size * size]; // [C, S, S]
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          int sx = mirror ? size - 1 - x : x;
          double v = img[(c * size + y) * size + sx] / 255.0;
          out[(c * size + y) * size + x] = (float) ((v - mean[c]) / std[c]);
        }
      }
    }
    return out;
  }

  private float[] crop(float[] src, int h, int w, Box b) {
    float[] out = new float[channels * b.height() * b.width()];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < b.height(); y++) {
        System.arraycopy(
            src,
            (c * h + b.top() + y) * w + b.left(),
            out,
            (c * b.height() + y) * b.width(),
            b.width());
      }
    }
    return out;
  }

  /** Masking noise {@code [L]} in [0, 1) for {@code row} in {@code epoch}; smallest are kept. */
  public float[] noise(TrainRow row, int epoch) {
    return noise(Seeds.rng(seed, Seeds.MASK, epoch, row.index()));
  }

  /** Noise {@code [L]} from a given generator (fixed validation masks use their own seed). */
  public float[] noise(SplittableRandom rng) {
    float[] n = new float[numPatches];
    for (int i = 0; i < numPatches; i++) {
      n[i] = (float) rng.nextDouble();
    }
    return n;
  }

  /** One training minibatch: features {@code imgs [N, C*S*S]}, labels {@code noise [N, L]}. */
  public MultiDataSet batch(List<TrainRow> rows, int epoch) {
    int n = rows.size();
    float[][] imgs = new float[n][];
    float[][] noise = new float[n][];
    for (int i = 0; i < n; i++) {
      imgs[i] = image(rows.get(i), epoch);
      noise[i] = noise(rows.get(i), epoch);
    }
    INDArray f = Nd4j.createFromArray(imgs); // [N, C*S*S]
    INDArray l = Nd4j.createFromArray(noise); // [N, L]
    return new MultiDataSet(new INDArray[] {f}, new INDArray[] {l});
  }
}
