package org.maespark.eval;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.maespark.conf.Settings;
import org.maespark.input.Augmenter;
import org.maespark.input.Seeds;
import org.maespark.input.TrainRow;
import org.maespark.model.MaeConfig;
import org.maespark.model.MaeModel;
import org.maespark.model.MaeWeights;
import org.maespark.model.SafeTensors;
import org.maespark.train.TaskThreads;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Evaluation work done where the rows are: each task rebuilds the MAE from the broadcast weights (a
 * safetensors file whose metadata carries the {@code model.*} shape) and returns only what the
 * driver needs: feature vectors, raw-pixel vectors, sums of the validation loss, or the k nearest
 * training rows of every validation row. Images are the centre view, normalised as in training.
 * Each task runs ND4J and BLAS on its own cores ({@link TaskThreads}), as training tasks do.
 */
final class ExecutorEval {
  private ExecutorEval() {}

  /** The MAE saved in {@code weights} (written by {@link MaeWeights#save}). */
  static MaeModel model(byte[] weights) {
    try {
      SafeTensors.Contents c = SafeTensors.read(new ByteArrayInputStream(weights), "eval weights");
      Settings s = Settings.empty();
      for (Map.Entry<String, String> e : c.metadata().entrySet()) {
        if (e.getKey().startsWith("model.")) {
          s = s.with(e.getKey(), e.getValue());
        }
      }
      MaeModel m = MaeModel.create(MaeConfig.fromSettings(s), 0);
      MaeWeights.apply(m, c.tensors(), "eval weights");
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Encoder features [2D] (cls token ++ mean of patch tokens) of every row. */
  static JavaRDD<Vector> features(
      JavaRDD<TrainRow> rows, Broadcast<byte[]> weights, Augmenter centre, int batch) {
    return rows.mapPartitions(
        it -> {
          TaskThreads.apply();
          MaeModel m = model(weights.value());
          List<Vector> out = new ArrayList<>();
          for (List<TrainRow> b : batches(it, batch)) {
            float[][] f = m.features(images(centre, b)).toFloatMatrix(); // [B, 2D]
            for (int i = 0; i < f.length; i++) {
              out.add(new Vector(b.get(i).index(), b.get(i).label(), f[i]));
            }
          }
          return out.iterator();
        });
  }

  /** Raw pixels in [0, 1] ([C*H*W], centre view) of every row. */
  static JavaRDD<Vector> pixels(JavaRDD<TrainRow> rows, Augmenter unitScale) {
    return rows.map(r -> new Vector(r.index(), r.label(), unitScale.image(r, 0)));
  }

  /** {sum of per-image masked losses, images}: masks from {@code maskSeed} and the row id. */
  static double[] lossSum(
      JavaRDD<TrainRow> rows,
      Broadcast<byte[]> weights,
      Augmenter centre,
      int batch,
      long maskSeed) {
    return rows.mapPartitions(
            it -> {
              TaskThreads.apply();
              MaeModel m = model(weights.value());
              double sum = 0;
              long n = 0;
              for (List<TrainRow> b : batches(it, batch)) {
                // every image has the same number of masked patches: batch mean x B = image sum
                sum +=
                    m.forward(images(centre, b), fixedNoise(centre, b, maskSeed)).loss() * b.size();
                n += b.size();
              }
              return List.of(new double[] {sum, n}).iterator();
            })
        .reduce((a, b) -> new double[] {a[0] + b[0], a[1] + b[1]});
  }

  /**
   * The {@code k} nearest training rows (cosine similarity of values {@code [from, to)}) of each
   * validation row: val vectors are broadcast, each partition keeps its own top k per val row, the
   * partitions' lists are merged on the way back.
   */
  static Neighbours knn(
      JavaRDD<Vector> train, Broadcast<float[][]> val, int from, int to, int k, int chunk) {
    return train
        .mapPartitions(
            it -> {
              TaskThreads.apply();
              INDArray va = Knn.l2normalize(slice(val.value(), from, to)); // [M, d]
              Neighbours nb = new Neighbours((int) va.size(0), k);
              List<Vector> part = new ArrayList<>(chunk);
              while (it.hasNext()) {
                part.add(it.next());
                if (part.size() == chunk || !it.hasNext()) {
                  offer(nb, va, part, from, to);
                  part.clear();
                }
              }
              return List.of(nb).iterator();
            })
        .reduce(Neighbours::merge);
  }

  private static void offer(Neighbours nb, INDArray va, List<Vector> part, int from, int to) {
    int n = part.size();
    float[][] x = new float[n][];
    int[] labels = new int[n];
    for (int j = 0; j < n; j++) {
      x[j] = java.util.Arrays.copyOfRange(part.get(j).values(), from, to);
      labels[j] = part.get(j).label();
    }
    INDArray tr = Knn.l2normalize(Nd4j.createFromArray(x)); // [n, d]
    INDArray simArray = Nd4j.create(DataType.FLOAT, va.size(0), n); // [M, n], c order
    Nd4j.gemm(va, tr, simArray, false, true, 1.0, 0.0);
    // one copy out of native memory: toFloatMatrix() would make a view per row
    float[] sim = simArray.data().asFloat();
    simArray.close();
    int rows = (int) va.size(0);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < n; j++) {
        nb.offer(i, sim[i * n + j], labels[j]);
      }
    }
  }

  static INDArray slice(float[][] v, int from, int to) {
    float[][] out = new float[v.length][];
    for (int i = 0; i < v.length; i++) {
      out[i] = java.util.Arrays.copyOfRange(v[i], from, to);
    }
    return Nd4j.createFromArray(out);
  }

  static List<List<TrainRow>> batches(Iterator<TrainRow> it, int batch) {
    List<List<TrainRow>> out = new ArrayList<>();
    List<TrainRow> cur = new ArrayList<>(batch);
    while (it.hasNext()) {
      cur.add(it.next());
      if (cur.size() == batch) {
        out.add(cur);
        cur = new ArrayList<>(batch);
      }
    }
    if (!cur.isEmpty()) {
      out.add(cur);
    }
    return out;
  }

  static INDArray images(Augmenter a, List<TrainRow> rows) {
    float[][] x = new float[rows.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = a.image(rows.get(i), 0);
    }
    return Nd4j.createFromArray(x); // [B, C*H*W]
  }

  static INDArray fixedNoise(Augmenter a, List<TrainRow> rows, long maskSeed) {
    float[][] n = new float[rows.size()][];
    for (int i = 0; i < n.length; i++) {
      n[i] = a.noise(Seeds.rng(maskSeed, Seeds.EVAL_MASK, rows.get(i).index()));
    }
    return Nd4j.createFromArray(n); // [B, L]
  }
}
