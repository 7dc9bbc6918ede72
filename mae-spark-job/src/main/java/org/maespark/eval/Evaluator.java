package org.maespark.eval;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.input.Augmenter;
import org.maespark.input.DatasetInfo;
import org.maespark.input.Normalize;
import org.maespark.input.TrainRow;
import org.maespark.input.TrainRows;
import org.maespark.model.Reconstruction;
import org.maespark.train.PretrainModel;
import org.maespark.train.Pretrainer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluation of an encoder on a labelled dataset, as the reference ({@code learn_ref.py}) does it:
 * validation reconstruction loss with fixed seeded masks (the same every epoch, so epochs compare),
 * weighted kNN top-1 (k = 20, exp(sim / 0.07) votes) on cls and mean-pooled features of val against
 * train, an optional linear probe on each, kNN on raw pixels in [0, 1], and the reconstruction
 * picture. Images are the centre views ({@code augment = none}), normalised as in training.
 *
 * <p>It scales with the data: the weights are broadcast, executors turn rows into features and
 * return only those (2D floats per image), the kNN runs against the whole training set as a Spark
 * job (val features broadcast, top k per partition, merged on the way back), and only the linear
 * probe brings training features to the driver, at most {@code eval.probe_max_train} of them.
 * {@code eval.max_train} / {@code eval.max_val} (0 = all) cap the sets to the rows with the
 * smallest row ids (a fixed pseudo-random subset).
 */
public final class Evaluator implements Pretrainer.Evaluation {
  private static final Logger LOG = LoggerFactory.getLogger(Evaluator.class);
  public static final String RECON = "recon.png";

  private final EvalConfig cfg;
  private final JavaSparkContext jsc;
  private final String uri;
  private final JavaRDD<TrainRow> train; // cached on first use: only kNN and the probe need it
  private final JavaRDD<TrainRow> val;
  private final List<TrainRow> reconRows;
  private final int numClasses;
  private final boolean labelled;
  private final double[] mean;
  private final double[] std;
  private final boolean probe;
  private boolean trainCached;

  /**
   * @param probe whether {@link #evaluate} also trains the linear probe (the {@code evaluate}
   *     command; the training loop leaves it out)
   */
  public Evaluator(
      SparkSession spark, DatasetInfo data, Normalize normalize, EvalConfig cfg, boolean probe) {
    this.cfg = cfg;
    this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.uri = data.uri();
    this.val = spread(capped(TrainRows.rows(spark, uri, "val"), cfg.maxVal()));
    this.val.persist(StorageLevel.MEMORY_AND_DISK_SER());
    this.train = spread(capped(TrainRows.rows(spark, uri, "train"), cfg.maxTrain()));
    List<Integer> labels = val.map(TrainRow::label).distinct().collect();
    int maxLabel = labels.stream().mapToInt(Integer::intValue).max().orElse(-1);
    this.numClasses = Math.max(data.numClasses(), maxLabel + 1);
    this.labelled = numClasses > 1 && !labels.isEmpty() && labels.stream().allMatch(l -> l >= 0);
    this.reconRows =
        val.takeOrdered(
            cfg.reconImages(),
            (Comparator<TrainRow> & java.io.Serializable)
                (a, b) -> Long.compare(a.index(), b.index()));
    double[][] norm = data.normalization(normalize);
    this.mean = norm[0];
    this.std = norm[1];
    this.probe = probe;
  }

  /**
   * The rows over at least as many partitions as the cluster runs tasks at once: a split stored in
   * fewer shards (Fashion-MNIST's 60,000 rows fit one) would otherwise extract features and search
   * neighbours on one core. A split with enough shards is left where it is.
   */
  private JavaRDD<TrainRow> spread(JavaRDD<TrainRow> rows) {
    int slots = jsc.defaultParallelism();
    return rows.getNumPartitions() >= slots ? rows : rows.repartition(slots);
  }

  /** The rows with the {@code max} smallest ids (all when {@code max} is 0 or covers them). */
  private static JavaRDD<TrainRow> capped(JavaRDD<TrainRow> rows, int max) {
    if (max <= 0) {
      return rows;
    }
    List<Long> ids = rows.map(TrainRow::index).takeOrdered(max);
    if (ids.size() < max) {
      return rows;
    }
    long cutoff = ids.get(ids.size() - 1);
    return rows.filter(r -> r.index() <= cutoff);
  }

  private JavaRDD<TrainRow> trainRows() {
    if (!trainCached) {
      train.persist(StorageLevel.MEMORY_AND_DISK_SER());
      trainCached = true;
    }
    return train;
  }

  private Augmenter centre(PretrainModel m) {
    return new Augmenter(m.imgSize(), m.channels(), m.numPatches(), false, false, mean, std, 0);
  }

  private static byte[] weights(PretrainModel model) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try {
      model.saveWeights(buf);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buf.toByteArray();
  }

  @Override
  public Map<String, Object> evaluate(PretrainModel model, int epoch) {
    long t0 = System.nanoTime();
    Broadcast<byte[]> w = jsc.broadcast(weights(model));
    try {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("val_loss", valLoss(model, w));
      if (labelled) {
        out.putAll(featureMetrics(model, w));
      }
      out.put("eval_s", (System.nanoTime() - t0) / 1e9);
      LOG.info("evaluation after epoch {}: {}", epoch, out);
      return out;
    } finally {
      w.destroy();
    }
  }

  private Map<String, Object> featureMetrics(PretrainModel model, Broadcast<byte[]> w) {
    Map<String, Object> out = new LinkedHashMap<>();
    Augmenter a = centre(model);
    long t0 = System.nanoTime();
    List<Vector> va = sorted(ExecutorEval.features(val, w, a, cfg.batch()).collect());
    JavaRDD<Vector> tr =
        ExecutorEval.features(trainRows(), w, a, cfg.batch())
            .persist(StorageLevel.MEMORY_AND_DISK_SER());
    long n = tr.count();
    double sec = (System.nanoTime() - t0) / 1e9;
    out.put("feature_img_per_s", (n + va.size()) / sec);
    int d = va.get(0).values().length / 2;
    int[] lva = labels(va);
    Broadcast<float[][]> vb = jsc.broadcast(values(va));
    try {
      // the same kNN on the two halves of the features: cls token, then mean of patch tokens
      out.put("knn_cls", knn(tr, vb, 0, d, lva));
      out.put("knn_mean", knn(tr, vb, d, 2 * d, lva));
    } finally {
      vb.destroy();
    }
    if (probe && cfg.probeEpochs() > 0) {
      List<Vector> bank = sorted(cappedVectors(tr, cfg.probeMaxTrain()).collect());
      INDArray ftr = matrix(bank);
      INDArray fva = matrix(va);
      int[] ltr = labels(bank);
      LinearProbe p =
          new LinearProbe(cfg.probeEpochs(), cfg.probeLr(), cfg.probeBatch(), cfg.maskSeed());
      var cls = org.nd4j.linalg.indexing.NDArrayIndex.interval(0, d);
      var avg = org.nd4j.linalg.indexing.NDArrayIndex.interval(d, 2 * d);
      var all = org.nd4j.linalg.indexing.NDArrayIndex.all();
      double[] c =
          p.fitAndScore(ftr.get(all, cls).dup(), ltr, fva.get(all, cls).dup(), lva, numClasses);
      double[] m =
          p.fitAndScore(ftr.get(all, avg).dup(), ltr, fva.get(all, avg).dup(), lva, numClasses);
      out.put("probe_cls", c[0]);
      out.put("probe_mean", m[0]);
      out.put("probe_mean_train", m[1]);
      out.put("probe_train_images", bank.size());
    }
    tr.unpersist(false);
    return out;
  }

  private double knn(JavaRDD<Vector> tr, Broadcast<float[][]> vb, int from, int to, int[] lva) {
    return ExecutorEval.knn(tr, vb, from, to, cfg.knnK(), cfg.batch())
        .top1(lva, numClasses, cfg.knnTemperature());
  }

  /** The vectors with the {@code max} smallest ids. */
  private static JavaRDD<Vector> cappedVectors(JavaRDD<Vector> v, int max) {
    if (max <= 0) {
      return v;
    }
    List<Long> ids = v.map(Vector::index).takeOrdered(max);
    long cutoff = ids.get(ids.size() - 1);
    return v.filter(x -> x.index() <= cutoff);
  }

  /**
   * kNN top-1 of the raw pixels in [0, 1] (centre view, as the reference: L2-normalised, not
   * dataset-normalised): the baseline features must beat.
   */
  public double rawPixelKnn(PretrainModel model) {
    double[] zero = new double[model.channels()];
    double[] one = new double[model.channels()];
    java.util.Arrays.fill(one, 1.0);
    Augmenter unit =
        new Augmenter(
            model.imgSize(), model.channels(), model.numPatches(), false, false, zero, one, 0);
    List<Vector> va = sorted(ExecutorEval.pixels(val, unit).collect());
    JavaRDD<Vector> tr = ExecutorEval.pixels(trainRows(), unit);
    Broadcast<float[][]> vb = jsc.broadcast(values(va));
    try {
      int d = va.get(0).values().length;
      return knn(tr, vb, 0, d, labels(va));
    } finally {
      vb.destroy();
    }
  }

  /** Mean masked loss over the val set; masks from {@code eval.mask_seed} and the row id. */
  public double valLoss(PretrainModel model) {
    Broadcast<byte[]> w = jsc.broadcast(weights(model));
    try {
      return valLoss(model, w);
    } finally {
      w.destroy();
    }
  }

  private double valLoss(PretrainModel model, Broadcast<byte[]> w) {
    double[] s = ExecutorEval.lossSum(val, w, centre(model), cfg.batch(), cfg.maskSeed());
    if (s[1] == 0) {
      throw new IllegalArgumentException("dataset " + uri + " has no validation rows to evaluate");
    }
    return s[0] / s[1];
  }

  private static List<Vector> sorted(List<Vector> v) {
    List<Vector> out = new java.util.ArrayList<>(v);
    out.sort(Comparator.comparingLong(Vector::index));
    return out;
  }

  private static float[][] values(List<Vector> v) {
    float[][] out = new float[v.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.get(i).values();
    }
    return out;
  }

  private static INDArray matrix(List<Vector> v) {
    return Nd4j.createFromArray(values(v)); // [N, 2D]
  }

  private static int[] labels(List<Vector> v) {
    return v.stream().mapToInt(Vector::label).toArray();
  }

  /** {@code recon.png} of the first {@code eval.recon_images} validation images (by row id). */
  public byte[] reconPng(PretrainModel model) throws IOException {
    Augmenter a = centre(model);
    INDArray x =
        ExecutorEval.images(a, reconRows)
            .reshape('c', reconRows.size(), model.channels(), model.imgSize(), model.imgSize());
    Reconstruction r = model.reconstruct(x, ExecutorEval.fixedNoise(a, reconRows, cfg.maskSeed()));
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ReconPicture.writePng(ReconPicture.render(x, r, mean, std), buf);
    return buf.toByteArray();
  }

  @Override
  public Map<String, CheckpointStore.FileWriter> checkpointFiles(PretrainModel model) {
    return Map.of(RECON, out -> out.write(reconPng(model)));
  }
}
