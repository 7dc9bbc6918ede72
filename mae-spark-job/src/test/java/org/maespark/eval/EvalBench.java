package org.maespark.eval;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.maespark.input.Augmenter;
import org.maespark.input.TrainRow;
import org.maespark.model.MaeConfig;
import org.maespark.model.MaeModel;
import org.maespark.model.MaeWeights;
import org.maespark.testing.SparkTestSession;

/**
 * Cost of the distributed evaluation on Spark {@code local[2]}: feature extraction (images/s of
 * wall time and per CPU-second of the process, {@code fmnist-28} MAE, random 28x28 grey rows) and
 * the kNN job's time for growing training banks, with what it brings to the driver (the merged
 * top-k lists) against what collecting the bank would (N x D floats). One line per measurement,
 * medians of {@code reps} runs:
 *
 * <pre>BENCH what=features images=.. img_per_s=.. img_per_cpu_s=..
 * BENCH what=knn train=.. val=.. dim=.. seconds=.. cpu_s=.. driver_bytes=.. collected_bank_bytes=..
 * </pre>
 *
 * Usage: {@code WHAT=eval mae-spark-job/bench.sh} (REPEATS = reps, default 3).
 */
public final class EvalBench {
  private EvalBench() {}

  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    features(jsc, 2000, reps);
    for (int n : new int[] {5_000, 20_000, 80_000}) {
      knn(jsc, n, 2000, 128, reps);
    }
  }

  static void features(JavaSparkContext jsc, int n, int reps) throws Exception {
    MaeConfig c = MaeConfig.preset("fmnist-28");
    ByteArrayOutputStream w = new ByteArrayOutputStream();
    MaeWeights.save(MaeModel.create(c, 1), w);
    Broadcast<byte[]> bw = jsc.broadcast(w.toByteArray());
    SplittableRandom rng = new SplittableRandom(3);
    List<TrainRow> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] px = new byte[28 * 28];
      rng.nextBytes(px);
      rows.add(new TrainRow(i, "r" + i, i % 10, 28, 28, 4, px));
    }
    JavaRDD<TrainRow> rdd = jsc.parallelize(rows, 4).cache();
    rdd.count();
    Augmenter a =
        new Augmenter(
            28, 1, c.numPatches(), false, false, new double[] {0.286}, new double[] {0.353}, 0);
    double[] wall = new double[reps];
    double[] cpu = new double[reps];
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      long c0 = cpuNanos();
      ExecutorEval.features(rdd, bw, a, 256).count();
      wall[r] = (System.nanoTime() - t0) / 1e9;
      cpu[r] = (cpuNanos() - c0) / 1e9;
    }
    System.out.printf(
        "BENCH what=features images=%d img_per_s=%.1f img_per_cpu_s=%.1f%n",
        n, n / median(wall), n / median(cpu));
  }

  static void knn(JavaSparkContext jsc, int n, int m, int d, int reps) {
    SplittableRandom rng = new SplittableRandom(5);
    List<Vector> train = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      train.add(new Vector(i, i % 10, gaussian(rng, d, i % 10)));
    }
    float[][] val = new float[m][];
    int[] yva = new int[m];
    for (int i = 0; i < m; i++) {
      yva[i] = i % 10;
      val[i] = gaussian(rng, d, i % 10);
    }
    JavaRDD<Vector> rdd = jsc.parallelize(train, 8).cache();
    rdd.count();
    Broadcast<float[][]> vb = jsc.broadcast(val);
    double[] wall = new double[reps];
    double[] cpu = new double[reps];
    double acc = 0;
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      long c0 = cpuNanos();
      acc = ExecutorEval.knn(rdd, vb, 0, d, 20, 256).top1(yva, 10, 0.07);
      wall[r] = (System.nanoTime() - t0) / 1e9;
      cpu[r] = (cpuNanos() - c0) / 1e9;
    }
    System.out.printf(
        "BENCH what=knn train=%d val=%d dim=%d seconds=%.2f cpu_s=%.2f driver_bytes=%d"
            + " collected_bank_bytes=%d top1=%.3f%n",
        n, m, d, median(wall), median(cpu), (long) m * 20 * 8, (long) n * d * 4, acc);
    vb.destroy();
    rdd.unpersist();
  }

  private static float[] gaussian(SplittableRandom rng, int d, int cls) {
    float[] v = new float[d];
    for (int j = 0; j < d; j++) {
      double centre = ((cls * 31 + j * 17) % 13) / 13.0; // a fixed direction per class
      v[j] = (float) (centre + 1.5 * (rng.nextDouble() - 0.5));
    }
    return v;
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
