package org.maespark.model.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.maespark.model.MaeConfig;
import org.maespark.model.MaeModel;
import org.maespark.model.MaeOptimizer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Images per second of one MAE training step (forward + backward + AdamW) on random inputs, as the
 * reference's {@code bench_ref.py} measures it. One line per measurement:
 *
 * <pre>BENCH config=tiny-32 variant=asym batch=64 img_per_s=.. peak_rss_mib=.. step_s=.. fwd_s=..
 * </pre>
 *
 * Usage: {@code TrainStepBench [config[:variant[:batch]]]...}, default every reference config with
 * both variants. Peak RSS is the process's, so run one measurement per JVM for per-run numbers
 * (bench.sh does).
 */
public final class TrainStepBench {
  /** A reference benchmark configuration: preset, batch, warm-up and timed steps. */
  record Spec(String name, String preset, int batch, int warmup, int steps) {}

  /** Warm-up is longer than the reference's because the JIT and ND4J's caches need it. */
  static final List<Spec> SPECS =
      List.of(
          new Spec("tiny-32", "tiny-32", 64, 8, 7),
          new Spec("fmnist-28", "fmnist-28", 128, 8, 9),
          new Spec("vit-b-224", "vit-b-16", 8, 3, 3));

  private TrainStepBench() {}

  public static void main(String[] args) throws IOException {
    List<String> runs = new ArrayList<>(Arrays.asList(args));
    if (runs.isEmpty()) {
      for (Spec s : SPECS) {
        runs.add(s.name() + ":asym");
        runs.add(s.name() + ":full");
      }
    }
    for (String run : runs) {
      String[] parts = run.split(":");
      Spec spec =
          SPECS.stream()
              .filter(s -> s.name().equals(parts[0]))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "unknown bench config '"
                              + parts[0]
                              + "'; expected one of tiny-32, fmnist-28, vit-b-224"));
      String variant = parts.length > 1 ? parts[1] : "asym";
      if (!variant.equals("asym") && !variant.equals("full")) {
        throw new IllegalArgumentException("variant '" + variant + "': expected asym or full");
      }
      int batch = parts.length > 2 ? Integer.parseInt(parts[2]) : spec.batch();
      measure(spec, variant, batch);
    }
  }

  static void measure(Spec spec, String variant, int batch) throws IOException {
    MaeConfig c = MaeConfig.preset(spec.preset()).withEncoderMaskTokens(variant.equals("full"));
    MaeModel model = MaeModel.create(c, 0, MaeOptimizer.official(1.5e-4));
    Nd4j.getRandom().setSeed(1);
    INDArray imgs = Nd4j.randn(DataType.FLOAT, batch, c.imageDim()); // [N, C*H*W]
    INDArray noise = Nd4j.rand(DataType.FLOAT, batch, c.numPatches()); // [N, L]
    MultiDataSet mds = MaeModel.batch(imgs, noise);
    double[] step = new double[spec.steps()];
    double[] cpu = new double[spec.steps()];
    for (int i = 0; i < spec.warmup() + spec.steps(); i++) {
      long c0 = processCpuNanos();
      long t0 = System.nanoTime();
      model.graph().fit(mds);
      double s = (System.nanoTime() - t0) / 1e9;
      if (i >= spec.warmup()) {
        step[i - spec.warmup()] = s;
        cpu[i - spec.warmup()] = (processCpuNanos() - c0) / 1e9;
      }
    }
    double[] fwd = new double[Math.max(3, spec.steps() / 2)];
    for (int i = 0; i < fwd.length; i++) {
      long t0 = System.nanoTime();
      model.graph().score(mds, true);
      fwd[i] = (System.nanoTime() - t0) / 1e9;
    }
    double med = median(step);
    System.out.printf(
        "BENCH config=%s variant=%s batch=%d img_per_s=%.2f peak_rss_mib=%d step_s=%.3f"
            + " step_min_s=%.3f fwd_s=%.3f img_per_cpu_s=%.2f loss=%.4f%n",
        spec.name(),
        variant,
        batch,
        batch / med,
        peakRssMib(),
        med,
        Arrays.stream(step).min().orElse(0),
        median(fwd),
        batch / median(cpu),
        model.graph().score());
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** CPU time of this process (all threads, incl. native ones). */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** VmHWM of /proc/self/status (Linux), -1 elsewhere. */
  private static long peakRssMib() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return -1;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }
}
