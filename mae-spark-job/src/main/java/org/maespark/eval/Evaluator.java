package org.maespark.eval;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.input.Augmenter;
import org.maespark.input.DatasetInfo;
import org.maespark.input.Normalize;
import org.maespark.input.Seeds;
import org.maespark.input.TrainRow;
import org.maespark.input.TrainRows;
import org.maespark.model.Reconstruction;
import org.maespark.train.PretrainModel;
import org.maespark.train.Pretrainer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluation of an encoder on a labelled dataset, run in the driver: validation reconstruction loss
 * with fixed seeded masks (the same every epoch, so epochs compare), weighted kNN top-1 on cls and
 * mean-pooled features of val against train, an optional linear probe, and the reconstruction
 * picture. Images are the centre views ({@code augment = none}), normalised as in training. The row
 * sets are collected to the driver once (the training rows only when kNN first needs them) and held
 * as uint8 patches; {@code eval.max_train} / {@code eval.max_val} cap them (first rows by row id, a
 * fixed pseudo-random subset), which large datasets need.
 */
public final class Evaluator implements Pretrainer.Evaluation {
  private static final Logger LOG = LoggerFactory.getLogger(Evaluator.class);
  public static final String RECON = "recon.png";

  private final EvalConfig cfg;
  private final SparkSession spark;
  private final String uri;
  private List<TrainRow> train; // collected on first use: only kNN and the probe need it
  private final List<TrainRow> val;
  private final int numClasses;
  private final double[] mean;
  private final double[] std;
  private final boolean probe;

  /**
   * @param probe whether {@link #evaluate} also trains the linear probe (the {@code evaluate}
   *     command; the training loop leaves it out)
   */
  public Evaluator(
      SparkSession spark, DatasetInfo data, Normalize normalize, EvalConfig cfg, boolean probe) {
    this.cfg = cfg;
    this.spark = spark;
    this.uri = data.uri();
    this.val = collect(spark, data.uri(), "val", cfg.maxVal());
    int maxLabel = -1;
    for (TrainRow r : val) {
      maxLabel = Math.max(maxLabel, r.label());
    }
    this.numClasses = Math.max(data.numClasses(), maxLabel + 1);
    double[][] norm = data.normalization(normalize);
    this.mean = norm[0];
    this.std = norm[1];
    this.probe = probe;
  }

  private List<TrainRow> train() {
    if (train == null) {
      train = collect(spark, uri, "train", cfg.maxTrain());
    }
    return train;
  }

  private static List<TrainRow> collect(SparkSession spark, String uri, String split, int max) {
    List<TrainRow> rows = new ArrayList<>(TrainRows.rows(spark, uri, split).collect());
    rows.sort(Comparator.comparingLong(TrainRow::index));
    return max > 0 && rows.size() > max ? new ArrayList<>(rows.subList(0, max)) : rows;
  }

  private Augmenter centre(PretrainModel m) {
    return new Augmenter(m.imgSize(), m.channels(), m.numPatches(), false, false, mean, std, 0);
  }

  @Override
  public Map<String, Object> evaluate(PretrainModel model, int epoch) {
    if (val.isEmpty()) {
      throw new IllegalArgumentException("dataset " + uri + " has no validation rows to evaluate");
    }
    long t0 = System.nanoTime();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("val_loss", valLoss(model));
    boolean labelled = numClasses > 1 && val.stream().allMatch(r -> r.label() >= 0);
    if (labelled) {
      INDArray ftr = features(model, train()); // [N, 2D]
      INDArray fva = features(model, val); // [M, 2D]
      int[] ltr = labels(train());
      int[] lva = labels(val);
      long d = ftr.size(1) / 2;
      INDArrayIndex cls = NDArrayIndex.interval(0, d);
      INDArrayIndex avg = NDArrayIndex.interval(d, 2 * d);
      INDArrayIndex all = NDArrayIndex.all();
      // the same kNN on the two halves of the features: cls token, then mean of patch tokens
      java.util.function.Function<INDArrayIndex, Double> knn =
          half ->
              Knn.top1(
                  ftr.get(all, half),
                  ltr,
                  fva.get(all, half),
                  lva,
                  numClasses,
                  cfg.knnK(),
                  cfg.knnTemperature());
      out.put("knn_cls", knn.apply(cls));
      out.put("knn_mean", knn.apply(avg));
      if (probe && cfg.probeEpochs() > 0) {
        LinearProbe p =
            new LinearProbe(cfg.probeEpochs(), cfg.probeLr(), cfg.probeBatch(), cfg.maskSeed());
        double[] acc =
            p.fitAndScore(ftr.get(all, avg).dup(), ltr, fva.get(all, avg).dup(), lva, numClasses);
        out.put("probe_mean", acc[0]);
        out.put("probe_mean_train", acc[1]);
      }
    }
    out.put("eval_s", (System.nanoTime() - t0) / 1e9);
    LOG.info("evaluation after epoch {}: {}", epoch, out);
    return out;
  }

  /** kNN top-1 of the raw (normalised, centre-view) pixels: the baseline features must beat. */
  public double rawPixelKnn(PretrainModel model) {
    INDArray tr = images(model, train());
    INDArray va = images(model, val);
    return Knn.top1(
        tr, labels(train()), va, labels(val), numClasses, cfg.knnK(), cfg.knnTemperature());
  }

  /** Mean masked loss over the val set; masks from {@code eval.mask_seed} and the row id. */
  public double valLoss(PretrainModel model) {
    Augmenter a = centre(model);
    double sum = 0;
    for (int s = 0; s < val.size(); s += cfg.batch()) {
      List<TrainRow> b = val.subList(s, Math.min(val.size(), s + cfg.batch()));
      sum += model.loss(imageBatch(a, b), fixedNoise(a, b)) * b.size();
    }
    return sum / val.size();
  }

  private INDArray fixedNoise(Augmenter a, List<TrainRow> rows) {
    float[][] n = new float[rows.size()][];
    for (int i = 0; i < n.length; i++) {
      n[i] = a.noise(Seeds.rng(cfg.maskSeed(), Seeds.EVAL_MASK, rows.get(i).index()));
    }
    return Nd4j.createFromArray(n); // [B, L]
  }

  private static INDArray imageBatch(Augmenter a, List<TrainRow> rows) {
    float[][] x = new float[rows.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = a.image(rows.get(i), 0);
    }
    return Nd4j.createFromArray(x); // [B, C*H*W]
  }

  private INDArray images(PretrainModel model, List<TrainRow> rows) {
    return imageBatch(centre(model), rows);
  }

  private INDArray features(PretrainModel model, List<TrainRow> rows) {
    Augmenter a = centre(model);
    List<INDArray> parts = new ArrayList<>();
    for (int s = 0; s < rows.size(); s += cfg.batch()) {
      parts.add(
          model.features(imageBatch(a, rows.subList(s, Math.min(rows.size(), s + cfg.batch())))));
    }
    return Nd4j.vstack(parts.toArray(new INDArray[0])); // [N, 2D]
  }

  private static int[] labels(List<TrainRow> rows) {
    return rows.stream().mapToInt(TrainRow::label).toArray();
  }

  /** {@code recon.png} of the first {@code eval.recon_images} validation images. */
  public byte[] reconPng(PretrainModel model) throws IOException {
    Augmenter a = centre(model);
    List<TrainRow> rows = val.subList(0, Math.min(val.size(), cfg.reconImages()));
    INDArray x =
        imageBatch(a, rows)
            .reshape('c', rows.size(), model.channels(), model.imgSize(), model.imgSize());
    Reconstruction r = model.reconstruct(x, fixedNoise(a, rows));
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ReconPicture.writePng(ReconPicture.render(x, r, mean, std), buf);
    return buf.toByteArray();
  }

  @Override
  public Map<String, CheckpointStore.FileWriter> checkpointFiles(PretrainModel model) {
    return Map.of(RECON, out -> out.write(reconPng(model)));
  }
}
