package org.maespark.data.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.maespark.conf.Settings;
import org.maespark.data.DataPrepConfig;
import org.maespark.data.DataPrepJob;
import org.maespark.data.DatasetManifest;
import org.maespark.data.ImageDecoder;
import org.maespark.data.ImagePipeline;
import org.maespark.data.RecordKryoRegistrator;
import org.maespark.data.RejectException;

/**
 * Throughput of data-prep on one core: per record without Spark (decode only; decode + resize +
 * patchify) and the whole job on {@code local[1]} (listing, shuffle, decode, write, stats), split
 * into its fixed cost (the same job on a one-file copy of the tree) and its marginal rate per file
 * (the CPU the whole tree costs beyond that fixed cost, over the files beyond the first). Each job
 * runs {@code bench.repeats} times, one-file and whole tree interleaved so that a busy spell of the
 * shared machine touches both, after {@code bench.warmups} untimed runs of the whole tree; the
 * medians are reported. {@code jit_s}: JIT compilation during a timed run, Spark's code warming up
 * (it falls with every run; a long job pays it once per executor JVM), included in the job's CPU.
 *
 * <p>Prints one tab-separated line per measurement and one machine-readable line, {@code
 * BENCH_DATAPREP tree=.. files=.. djpeg_per_s=.. record_per_s=.. job_per_s=.. job_fixed_s=..
 * start_s=.. jit_s=.. digest=..}; data-prep/bench/run-bench.sh passes djpeg's rate on the same
 * files in {@code -Dbench.djpeg} and the tree's name in {@code -Dbench.tree}.
 *
 * <pre>DataPrepBench TREE OUT_DIR [key=value ...]</pre>
 */
public final class DataPrepBench {
  private DataPrepBench() {}

  public static void main(String[] args) throws Exception {
    Path tree = Path.of(args[0]);
    Path out = Path.of(args[1]);
    int repeats = Integer.getInteger("bench.repeats", 3);
    int warmups = Integer.getInteger("bench.warmups", 2);
    Settings settings = Settings.load(null, List.of(args).subList(2, args.length));
    DataPrepConfig config = DataPrepConfig.fromSettings(settings);
    settings.requireAllKnown();
    List<Path> paths = new ArrayList<>();
    List<byte[]> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(tree)) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".jpeg") || n.endsWith(".jpg") || n.endsWith(".png")) {
          paths.add(p);
          files.add(Files.readAllBytes(p));
        }
      }
    }
    ImageDecoder decoder = ImageDecoder.of(config);
    ImagePipeline pipeline = new ImagePipeline(config);
    for (int warm = 0; warm < 2; warm++) { // JIT warm-up on the same files
      perRecord(files, decoder, pipeline, false);
    }
    double recordPerS = perRecord(files, decoder, pipeline, true);
    Path one = oneFileTree(tree, paths, files, pipeline, out.resolve("one-file-tree"));

    long start0 = processCpuNanos();
    SparkSession spark =
        SparkSession.builder()
            .master("local[1]")
            .appName("data-prep-bench")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            // as on the clusters (deploy/conf/mae-spark.conf)
            .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
            .config("spark.kryo.registrator", RecordKryoRegistrator.class.getName())
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    DataPrepJob job = new DataPrepJob(spark, config, settings.values());
    job.run(one.toString(), out.resolve("cold").toString(), true);
    // JVM start before main() is not in this figure: the time to a first job, once per process
    double startS = (processCpuNanos() - start0) / 1e9;
    for (int w = 0; w < warmups; w++) { // Spark's own code is still being JIT-compiled
      job.run(tree.toString(), out.resolve("warmup").toString(), true);
    }

    Map<String, Double> threads0 = threadCpuSeconds();
    double[] fixed = new double[repeats];
    double[] whole = new double[repeats];
    double[] wall = new double[repeats];
    double[] jit = new double[repeats];
    DatasetManifest m = null;
    for (int r = 0; r < repeats; r++) {
      fixed[r] = cpuOf(() -> job.run(one.toString(), out.resolve("one").toString(), true));
      long t = System.nanoTime();
      long jit0 = compileMillis();
      DatasetManifest[] got = new DatasetManifest[1];
      whole[r] =
          cpuOf(() -> got[0] = job.run(tree.toString(), out.resolve("timed").toString(), true));
      wall[r] = (System.nanoTime() - t) / 1e9;
      jit[r] = (compileMillis() - jit0) / 1e3;
      if (m != null && !m.digest().equals(got[0].digest())) {
        throw new IllegalStateException("digest changed between runs of the same job");
      }
      m = got[0];
    }
    Map<String, Double> threads1 = threadCpuSeconds();
    spark.stop();
    long n = m.inputFiles();
    double fixedS = median(fixed);
    double wholeS = median(whole);
    double marginal = (n - 1) / Math.max(1e-9, wholeS - fixedS);
    // every thread of the JVM counts (Spark, JIT, GC): the CPU a core spends per image
    System.out.printf(
        "spark-job-local1 (%s)\t%d files (%d rows)\tcpu %.2f s (wall %.2f s), one-file tree"
            + " %.2f s\t%.1f img/s/core marginal, %.1f whole%n",
        config.withResolvedDecoder().decoder(),
        n,
        n - m.rejects(),
        wholeS,
        median(wall),
        fixedS,
        marginal,
        n / wholeS);
    if (!threads1.isEmpty()) { // where the timed runs' CPU went, per kind of thread
      StringBuilder b = new StringBuilder("cpu by thread (timed runs, s)");
      threads1.forEach(
          (k, v) -> {
            double d = v - threads0.getOrDefault(k, 0.0);
            if (d >= 0.05) {
              b.append(String.format(Locale.ROOT, "\t%s %.2f", k, d));
            }
          });
      System.out.println(b);
    }
    System.out.printf(
        Locale.ROOT,
        "BENCH_DATAPREP tree=%s files=%d djpeg_per_s=%s record_per_s=%.1f job_per_s=%.1f"
            + " job_fixed_s=%.2f start_s=%.2f jit_s=%.2f digest=%s%n",
        System.getProperty("bench.tree", tree.getFileName().toString()),
        n,
        System.getProperty("bench.djpeg", "na"),
        recordPerS,
        marginal,
        fixedS,
        startS,
        median(jit),
        m.digest());
  }

  /** Time the JIT compilers have spent so far: what of a timed run is still warm-up. */
  private static long compileMillis() {
    return java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
  }

  /**
   * CPU seconds of this process's threads (Linux /proc: GC and JIT threads included, which the JVM
   * does not report), summed per kind of thread: name without digits. Empty elsewhere.
   */
  private static Map<String, Double> threadCpuSeconds() {
    Map<String, Double> out = new TreeMap<>();
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return out;
    }
    try (Stream<Path> s = Files.list(tasks)) {
      for (Path t : s.toList()) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          double ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
          out.merge(name.replaceAll("[0-9#]+", "").trim(), ticks / 100.0, Double::sum);
        } catch (java.io.IOException e) {
          // the thread ended between listing and reading
        }
      }
    } catch (java.io.IOException e) {
      return out;
    }
    return out;
  }

  /**
   * A copy of the tree holding one file that becomes a row, at the same relative path (so the
   * layout is the same): the job's cost that does not grow with the files.
   */
  private static Path oneFileTree(
      Path tree, List<Path> paths, List<byte[]> files, ImagePipeline pipeline, Path dir)
      throws Exception {
    for (int i = 0; i < files.size(); i++) {
      try {
        pipeline.prepare(files.get(i));
      } catch (RejectException e) {
        continue;
      }
      Path target = dir.resolve(tree.relativize(paths.get(i)).toString());
      Files.createDirectories(target.getParent());
      Files.write(target, files.get(i));
      return dir;
    }
    throw new IllegalArgumentException("no file of " + tree + " becomes a row");
  }

  private static double cpuOf(Runnable r) {
    long cpu0 = processCpuNanos();
    r.run();
    return (processCpuNanos() - cpu0) / 1e9;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** CPU time of this thread: on a busy machine, wall time would count other processes' turns. */
  private static long threadCpuNanos() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  /** Returns the decode + resize + patchify rate, files per CPU second. */
  private static double perRecord(
      List<byte[]> files, ImageDecoder decoder, ImagePipeline pipeline, boolean print) {
    long t0 = threadCpuNanos();
    int ok = 0;
    for (byte[] f : files) {
      try {
        decoder.decode(f);
        ok++;
      } catch (RejectException e) {
        // rejects count as work done
      }
    }
    long t1 = threadCpuNanos();
    for (byte[] f : files) {
      try {
        pipeline.prepare(f);
      } catch (RejectException e) {
        // as above
      }
    }
    long t2 = threadCpuNanos();
    if (print) {
      report("decode-only", files.size(), ok, t1 - t0);
      report("decode+resize+patchify", files.size(), ok, t2 - t1);
    }
    return files.size() / ((t2 - t1) / 1e9);
  }

  private static void report(String what, int n, int ok, long nanos) {
    double s = nanos / 1e9;
    System.out.printf(
        "%s\t%d files (%d decodable)\tcpu %.2f s\t%.1f img/s/core%n", what, n, ok, s, n / s);
  }
}
