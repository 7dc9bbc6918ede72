package org.maespark.eval;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterators;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.TaskCompletionListener;
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
 * Evaluation work done where the rows are: each task takes the MAE of the broadcast weights (a
 * safetensors file whose metadata carries the {@code model.*} shape) from {@link EvalModels} and
 * returns only what the driver needs: feature vectors, raw-pixel vectors, sums of the validation
 * loss, or the k nearest training rows of every validation row. Rows stream through in batches of
 * {@code eval.batch}: a task holds one batch of images, never its whole partition. Images are the
 * centre view, normalised as in training. Each task runs ND4J and BLAS on its own cores ({@link
 * TaskThreads}), as training tasks do.
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

  /**
   * The broadcast's MAE for this task, given back to {@link EvalModels} when the task ends (its
   * output is consumed lazily, after this method returns).
   */
  private static MaeModel taskModel(Broadcast<byte[]> weights) {
    MaeModel m = EvalModels.take(weights);
    TaskContext.get()
        .addTaskCompletionListener(
            (TaskCompletionListener) ctx -> EvalModels.give(weights.id(), m));
    return m;
  }

  /** Encoder features [2D] (cls token ++ mean of patch tokens) of every row. */
  static JavaRDD<Vector> features(
      JavaRDD<TrainRow> rows, Broadcast<byte[]> weights, Augmenter centre, int batch) {
    return rows.mapPartitions(
        it -> {
          TaskThreads.apply();
          MaeModel m = taskModel(weights);
          // lazy: the stream's iterator maps one batch of rows at a time
          return StreamSupport.stream(
                  Spliterators.spliteratorUnknownSize(batches(it, batch), 0), false)
              .flatMap(
                  b -> {
                    float[][] f = m.features(images(centre, b)).toFloatMatrix(); // [B, 2D]
                    return IntStream.range(0, f.length)
                        .mapToObj(i -> new Vector(b.get(i).index(), b.get(i).label(), f[i]));
                  })
              .iterator();
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
              MaeModel m = taskModel(weights);
              double sum = 0;
              long n = 0;
              for (Iterator<List<TrainRow>> bs = batches(it, batch); bs.hasNext(); ) {
                List<TrainRow> b = bs.next();
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

  /** The rows in consecutive batches of {@code batch} (the last may be smaller), read lazily. */
  static Iterator<List<TrainRow>> batches(Iterator<TrainRow> it, int batch) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public List<TrainRow> next() {
        if (!it.hasNext()) {
          throw new NoSuchElementException();
        }
        List<TrainRow> b = new ArrayList<>(batch);
        while (b.size() < batch && it.hasNext()) {
          b.add(it.next());
        }
        return b;
      }
    };
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
