package org.maespark.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What one training round moves and costs on the loopback standalone cluster of {@link
 * StandaloneClusterIT} (a master and two single-core workers, each its own JVM), per model preset
 * and training master. Run by {@code mae-dist/bench-comm.sh}, never by {@code mvn verify}:
 *
 * <pre>
 *   CommBench CONFIG TRAINER AF   -> BENCH_COMM config=.. trainer=.. af=.. params=..
 *                                    bytes_out_per_round=.. bytes_in_per_round=.. round_s=..
 *                                    fit_s=.. gs_bytes_per_step=.. gs_density=..
 * </pre>
 *
 * <p>Bytes come from Spark's event log with block updates logged: {@code bytes_out_per_round} is
 * what each executor fetched of the round's broadcasts (the driver's parameters and updater state,
 * and the stage's task binary), summed over the broadcast pieces each executor reported storing;
 * {@code bytes_in_per_round} is what each executor's training task returned (its serialized result
 * size plus shuffle bytes written); both are per executor, medians over the rounds after the first.
 * Seconds are the run's own progress records ({@code metrics.jsonl}: {@code round_s}, {@code
 * round_fit_s}), medians over the rounds after the first. Gradient sharing's encoded bytes per
 * worker step and the density of its sparse updates are the epoch records' {@code sharing_*} fields
 * (counted at the driver, which every update reaches), over every step of the run.
 *
 * <p>System properties as for the cluster tests: {@code mae.dist.jar}, {@code mae.repo.root},
 * {@code mae.spark.home}, {@code mae.jvm.opens}; {@code bench.dir} (work folder, datasets are kept
 * there between runs), {@code bench.worker_memory} (each worker's and executor's heap, e.g. 3g),
 * {@code bench.driver_memory}, {@code bench.rounds} (rounds to run, the first one not counted),
 * {@code bench.spark_conf} (extra {@code key=value,...} Spark settings for the pretrain job),
 * {@code bench.batch_per_worker} (instead of the preset's: 32, vit-s/b-16 2).
 */
public final class CommBench {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Pattern PIECE = Pattern.compile("broadcast_\\d+_piece\\d+");

  /** Per preset: image side, patch, channels, batch per worker. */
  record Preset(int imageSize, int patch, int channels, int batchPerWorker) {}

  static final Map<String, Preset> PRESETS =
      Map.of(
          "fmnist-28", new Preset(28, 4, 1, 32),
          "tiny-32", new Preset(32, 4, 3, 32),
          "vit-s-16", new Preset(224, 16, 3, 2),
          "vit-b-16", new Preset(224, 16, 3, 2));

  private CommBench() {}

  public static void main(String[] args) throws Exception {
    String config = args[0];
    String trainer = args[1];
    int af = Integer.parseInt(args[2]);
    Preset preset = PRESETS.get(config);
    if (preset == null) {
      throw new IllegalArgumentException(
          "config " + config + ": expected one of " + PRESETS.keySet());
    }
    int batch = Integer.getInteger("bench.batch_per_worker", 0);
    if (batch > 0) {
      preset = new Preset(preset.imageSize(), preset.patch(), preset.channels(), batch);
    }
    Path repo = Path.of(System.getProperty("mae.repo.root"));
    Path dir = Path.of(System.getProperty("bench.dir", "target/comm-bench")).toAbsolutePath();
    int rounds = Integer.getInteger("bench.rounds", 4);
    String workerMemory = System.getProperty("bench.worker_memory", "3g");
    String driverMemory = System.getProperty("bench.driver_memory", "2g");
    Path work = dir.resolve(config + "-" + trainer + "-" + af + "-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (StandaloneCluster cluster =
        StandaloneCluster.start(
            Path.of(System.getProperty("mae.spark.home")),
            work,
            Arrays.asList(System.getProperty("mae.jvm.opens").trim().split("\\s+")),
            2,
            1,
            workerMemory)) {
      Path dataset = dataset(cluster, repo, dir, config, preset, rounds * af);
      Path events = Files.createDirectories(work.resolve("events"));
      Path ckpt = work.resolve("ckpt");
      Path props = work.resolve("pretrain.properties");
      Files.writeString(props, pretrainConfig(config, preset, trainer, af, rounds));
      List<String> sparkArgs = new ArrayList<>();
      for (String pair : System.getProperty("bench.spark_conf", "").split(",")) {
        if (!pair.isBlank()) {
          sparkArgs.addAll(List.of("--conf", pair.trim()));
        }
      }
      sparkArgs.addAll(
          List.of(
              "--driver-memory",
              driverMemory,
              "--conf",
              "spark.executor.memory=" + workerMemory,
              "--conf",
              "spark.ui.enabled=false",
              "--conf",
              "spark.eventLog.enabled=true",
              "--conf",
              "spark.eventLog.dir=" + events.toUri(),
              "--conf",
              "spark.eventLog.logBlockUpdates.enabled=true"));
      Duration took =
          run(
              cluster,
              "pretrain",
              repo,
              sparkArgs,
              List.of(
                  "pretrain",
                  "--config",
                  props.toString(),
                  "--dataset",
                  dataset.toString(),
                  "--checkpoints",
                  ckpt.toString()));
      report(config, trainer, af, preset, cluster, events, ckpt, took);
    }
  }

  /** The preset's dataset under {@code dir}: data-prep of a slice of the Fashion-MNIST sample. */
  static Path dataset(
      StandaloneCluster cluster, Path repo, Path dir, String config, Preset p, int steps)
      throws Exception {
    int trainImages = steps * 2 * p.batchPerWorker();
    Path out = dir.resolve("data-" + config + "-" + trainImages);
    if (Files.exists(out.resolve("_SUCCESS"))) {
      return out;
    }
    Path tree = dir.resolve("images-" + trainImages);
    if (!Files.exists(tree)) {
      copySlice(repo.resolve("samples/fmnist"), tree, trainImages);
    }
    Path conf = dir.resolve("data-prep-" + config + ".properties");
    Files.writeString(
        conf,
        String.format(
            "data.image_size = %d%ndata.patch = %d%ndata.channels = %d%n",
            p.imageSize(), p.patch(), p.channels()));
    run(
        cluster,
        "data-prep",
        repo,
        List.of("--conf", "spark.ui.enabled=false"),
        List.of(
            "data-prep",
            "--conf",
            conf.toString(),
            "--input",
            tree.toString(),
            "--output",
            out.toString(),
            "--overwrite"));
    return out;
  }

  /** train/ and val/ of the sample, the first files of each class, {@code train} images in all. */
  static void copySlice(Path sample, Path tree, int train) throws IOException {
    for (String split : List.of("train", "val")) {
      List<Path> classes;
      try (Stream<Path> s = Files.list(sample.resolve(split))) {
        classes = s.filter(Files::isDirectory).sorted().toList();
      }
      int perClass = split.equals("train") ? (train + classes.size() - 1) / classes.size() : 2;
      for (Path c : classes) {
        Path to = Files.createDirectories(tree.resolve(split).resolve(c.getFileName()));
        try (Stream<Path> s = Files.list(c)) {
          for (Path f : s.sorted().limit(perClass).toList()) {
            Files.copy(f, to.resolve(f.getFileName()));
          }
        }
      }
    }
  }

  static String pretrainConfig(String config, Preset p, String trainer, int af, int rounds) {
    return String.join(
        "\n",
        "model.preset = " + config,
        "data.image_size = " + p.imageSize(),
        "data.patch = " + p.patch(),
        "data.channels = " + p.channels(),
        "train.epochs = 1",
        "train.warmup_epochs = 0",
        "train.workers = 2",
        "train.batch_per_worker = " + p.batchPerWorker(),
        "train.max_steps_per_epoch = " + rounds * af,
        "train.trainer = " + trainer,
        "train.averaging_frequency = " + af,
        "train.augment = flip",
        "train.log_every_steps = 1",
        "train.seed = 0",
        "eval.every = 0",
        "");
  }

  /** Submits one job and waits for it (at most 14 minutes: the bench's lock is held meanwhile). */
  static Duration run(
      StandaloneCluster cluster, String name, Path repo, List<String> sparkArgs, List<String> app)
      throws Exception {
    Instant start = Instant.now();
    Process p =
        cluster.submit(
            name,
            repo.resolve("deploy/bin/mae-submit"),
            Map.of("MAE_JAR", System.getProperty("mae.dist.jar")),
            sparkArgs,
            app);
    if (!p.waitFor(14, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new IllegalStateException(
          name + " still running after 14 min; see " + log(cluster, name));
    }
    if (p.exitValue() != 0) {
      String log = Files.readString(cluster.logFile(name));
      throw new IllegalStateException(
          name
              + " failed (exit "
              + p.exitValue()
              + "); "
              + cluster.logFile(name)
              + " ends:\n"
              + log.substring(Math.max(0, log.length() - 6000)));
    }
    return Duration.between(start, Instant.now());
  }

  private static Path log(StandaloneCluster cluster, String name) {
    return cluster.logFile(name);
  }

  static void report(
      String config,
      String trainer,
      int af,
      Preset p,
      StandaloneCluster cluster,
      Path events,
      Path ckpt,
      Duration took)
      throws IOException {
    List<Round> rounds = rounds(events);
    for (Round r : rounds) {
      System.out.printf(
          "BENCH_COMM_ROUND config=%s trainer=%s job=%d stage=\"%s\" out=%s in=%s data_in=%d"
              + " tasks=%d%n",
          config,
          trainer,
          r.job,
          r.stageName,
          r.outPerExecutor,
          r.inPerTask,
          r.shuffleRead,
          r.tasks);
    }
    List<JsonNode> metrics = new ArrayList<>();
    for (String line : Files.readAllLines(ckpt.resolve("metrics.jsonl"))) {
      metrics.add(JSON.readTree(line));
    }
    List<Double> roundS = new ArrayList<>();
    List<Double> fitS = new ArrayList<>();
    List<Double> outsideFitS = new ArrayList<>();
    long sharingBytes = 0;
    long sharingUpdates = 0;
    double density = Double.NaN;
    long bitmaps = 0;
    long steps = 0;
    for (JsonNode m : metrics) {
      if (m.path("kind").asText().equals("step")) {
        roundS.add(m.path("round_s").asDouble());
        if (m.has("round_fit_s")) {
          fitS.add(m.path("round_fit_s").asDouble());
          outsideFitS.add(m.path("round_s").asDouble() - m.path("round_fit_s").asDouble());
        }
      } else if (m.path("kind").asText().equals("epoch")) {
        steps = m.path("step").asLong();
        sharingBytes += m.path("sharing_bytes").asLong();
        sharingUpdates += m.path("sharing_updates").asLong();
        bitmaps += m.path("sharing_bitmap_updates").asLong();
        density = m.path("sharing_density").asDouble(Double.NaN);
      }
    }
    List<Round> counted = rounds.size() > 1 ? rounds.subList(1, rounds.size()) : rounds;
    long params = params(cluster.logFile("pretrain"));
    boolean gs = trainer.equals("gradient_sharing");
    System.out.printf(
        "BENCH_COMM config=%s trainer=%s af=%d params=%d batch_per_worker=%d rounds=%d"
            + " bytes_out_per_round=%d bytes_in_per_round=%d round_s=%.2f fit_s=%s outside_fit_s=%s"
            + " gs_bytes_per_step=%s gs_density=%s gs_bitmap_updates=%s job_s=%.0f%n",
        config,
        trainer,
        af,
        params,
        p.batchPerWorker(),
        counted.size(),
        medianLong(counted.stream().flatMap(r -> r.outPerExecutor.stream()).toList()),
        medianLong(counted.stream().flatMap(r -> r.inPerTask.stream()).toList()),
        median(roundS.size() > 1 ? roundS.subList(1, roundS.size()) : roundS),
        fitS.isEmpty()
            ? "-"
            : String.format("%.2f", median(fitS.size() > 1 ? fitS.subList(1, fitS.size()) : fitS)),
        outsideFitS.isEmpty()
            ? "-"
            : String.format(
                "%.2f",
                median(
                    outsideFitS.subList(Math.min(1, outsideFitS.size() - 1), outsideFitS.size()))),
        gs ? String.format("%.0f", sharingBytes / (2.0 * steps)) : "-",
        gs ? String.format("%.3e", density) : "-",
        gs ? bitmaps + "/" + sharingUpdates : "-",
        took.toMillis() / 1e3);
  }

  /** One training job: what each executor fetched of broadcasts and each task returned. */
  record Round(
      int job,
      String stageName,
      List<Long> outPerExecutor,
      List<Long> inPerTask,
      long shuffleRead,
      int tasks) {}

  /**
   * The training rounds in the event log, in order: jobs one of whose stages was submitted by a
   * DL4J training master (its call site names it).
   */
  static List<Round> rounds(Path events) throws IOException {
    Path log;
    try (Stream<Path> s = Files.list(events)) {
      log = s.filter(Files::isRegularFile).findFirst().orElseThrow();
    }
    List<Round> out = new ArrayList<>();
    Map<Integer, Integer> stageJob = new HashMap<>();
    Map<Integer, String> jobStage = new HashMap<>();
    Set<Integer> open = new HashSet<>();
    Map<Integer, Map<String, Long>> fetched = new HashMap<>();
    Map<Integer, List<Long>> results = new HashMap<>();
    Map<Integer, Long> shuffle = new HashMap<>();
    for (String line : Files.readAllLines(log)) {
      JsonNode e = JSON.readTree(line);
      switch (e.path("Event").asText()) {
        case "SparkListenerJobStart" -> {
          int job = e.path("Job ID").asInt();
          for (JsonNode st : e.path("Stage Infos")) {
            String name = st.path("Stage Name").asText();
            stageJob.put(st.path("Stage ID").asInt(), job);
            if (name.contains("TrainingMaster")) {
              jobStage.put(job, name);
            }
          }
          if (jobStage.containsKey(job)) {
            open.add(job);
            fetched.put(job, new HashMap<>());
            results.put(job, new ArrayList<>());
            shuffle.put(job, 0L);
          }
        }
        case "SparkListenerBlockUpdated" -> {
          JsonNode b = e.path("Block Updated Info");
          String executor = b.path("Block Manager ID").path("Executor ID").asText();
          long size = b.path("Memory Size").asLong() + b.path("Disk Size").asLong();
          String block = b.path("Block ID").asText();
          if (!executor.equals("driver") && size > 0 && PIECE.matcher(block).matches()) {
            // a piece that leaves memory for disk is reported again: count it once
            for (int job : open) {
              fetched.get(job).merge(executor + " " + block, size, Math::max);
            }
          }
        }
        case "SparkListenerTaskEnd" -> {
          Integer job = stageJob.get(e.path("Stage ID").asInt());
          if (job != null && open.contains(job)) {
            JsonNode m = e.path("Task Metrics");
            shuffle.merge(
                job, m.path("Shuffle Read Metrics").path("Remote Bytes Read").asLong(), Long::sum);
            if (jobStage.get(job).contains("TrainingMaster")
                && e.path("Stage ID").asInt() == lastStageOf(stageJob, job)) {
              results
                  .get(job)
                  .add(
                      m.path("Result Size").asLong()
                          + m.path("Shuffle Write Metrics").path("Shuffle Bytes Written").asLong());
            }
          }
        }
        case "SparkListenerJobEnd" -> {
          int job = e.path("Job ID").asInt();
          if (open.remove(job)) {
            Map<String, Long> perExecutor = new HashMap<>();
            fetched
                .get(job)
                .forEach((key, size) -> perExecutor.merge(key.split(" ")[0], size, Long::sum));
            out.add(
                new Round(
                    job,
                    jobStage.get(job),
                    List.copyOf(perExecutor.values()),
                    results.get(job),
                    shuffle.get(job),
                    results.get(job).size()));
          }
        }
        default -> {}
      }
    }
    return out;
  }

  /** The job's result stage: its highest stage id. */
  private static int lastStageOf(Map<Integer, Integer> stageJob, int job) {
    return stageJob.entrySet().stream()
        .filter(en -> en.getValue() == job)
        .mapToInt(Map.Entry::getKey)
        .max()
        .orElse(-1);
  }

  /** The trainable parameter count the driver logged ("model: N trainable parameters"). */
  static long params(Path driverLog) throws IOException {
    Matcher m =
        Pattern.compile("model: (\\d+) trainable parameters").matcher(Files.readString(driverLog));
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  static double median(List<Double> xs) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  static long medianLong(List<Long> xs) {
    return Math.round(median(xs.stream().map(Long::doubleValue).toList()));
  }
}
