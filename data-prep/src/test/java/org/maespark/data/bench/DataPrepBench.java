package org.maespark.data.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.maespark.conf.Settings;
import org.maespark.data.DataPrepConfig;
import org.maespark.data.DataPrepJob;
import org.maespark.data.DatasetManifest;
import org.maespark.data.ImageDecoder;
import org.maespark.data.ImagePipeline;
import org.maespark.data.RejectException;

/**
 * Throughput of data-prep on one core: per record without Spark (decode only; decode + resize +
 * patchify) and the whole job on {@code local[1]} (listing, shuffle, decode, write, stats). Prints
 * one tab-separated line per measurement; data-prep/bench/run-bench.sh puts djpeg's numbers for the
 * same files next to them.
 *
 * <pre>DataPrepBench TREE OUT_DIR [key=value ...]</pre>
 */
public final class DataPrepBench {
  private DataPrepBench() {}

  public static void main(String[] args) throws Exception {
    Path tree = Path.of(args[0]);
    Path out = Path.of(args[1]);
    Settings settings = Settings.load(null, List.of(args).subList(2, args.length));
    DataPrepConfig config = DataPrepConfig.fromSettings(settings);
    settings.requireAllKnown();
    List<byte[]> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(tree)) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".jpeg") || n.endsWith(".jpg") || n.endsWith(".png")) {
          files.add(Files.readAllBytes(p));
        }
      }
    }
    ImageDecoder decoder = ImageDecoder.of(config);
    ImagePipeline pipeline = new ImagePipeline(config);
    for (int warm = 0; warm < 2; warm++) { // JIT warm-up on the same files
      perRecord(files, decoder, pipeline, false);
    }
    perRecord(files, decoder, pipeline, true);

    SparkSession spark =
        SparkSession.builder()
            .master("local[1]")
            .appName("data-prep-bench")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    DataPrepJob job = new DataPrepJob(spark, config, settings.values());
    job.run(tree.toString(), out.resolve("warmup").toString(), true);
    long t = System.nanoTime();
    DatasetManifest m = job.run(tree.toString(), out.resolve("timed").toString(), true);
    double s = (System.nanoTime() - t) / 1e9;
    System.out.printf(
        "spark-job-local1\t%d files (%d rows)\t%.2f s\t%.1f img/s/core%n",
        m.inputFiles(), m.inputFiles() - m.rejects(), s, m.inputFiles() / s);
    spark.stop();
  }

  private static void perRecord(
      List<byte[]> files, ImageDecoder decoder, ImagePipeline pipeline, boolean print) {
    long t0 = System.nanoTime();
    int ok = 0;
    for (byte[] f : files) {
      try {
        decoder.decode(f);
        ok++;
      } catch (RejectException e) {
        // rejects count as work done
      }
    }
    long t1 = System.nanoTime();
    for (byte[] f : files) {
      try {
        pipeline.prepare(f);
      } catch (RejectException e) {
        // as above
      }
    }
    long t2 = System.nanoTime();
    if (print) {
      report("decode-only", files.size(), ok, t1 - t0);
      report("decode+resize+patchify", files.size(), ok, t2 - t1);
    }
  }

  private static void report(String what, int n, int ok, long nanos) {
    double s = nanos / 1e9;
    System.out.printf(
        "%s\t%d files (%d decodable)\t%.2f s\t%.1f img/s/core%n", what, n, ok, s, n / s);
  }
}
