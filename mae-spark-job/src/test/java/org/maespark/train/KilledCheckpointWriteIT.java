package org.maespark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.input.DatasetInfo;
import org.maespark.testing.SparkTestSession;
import org.maespark.testing.TinyDataset;
import org.maespark.testing.TinyModel;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A pretrain killed with SIGKILL in the middle of writing a checkpoint: {@code --resume auto} sets
 * the half-written one aside, continues from the one before, and ends with the same weights and
 * optimizer state as a run never interrupted.
 */
class KilledCheckpointWriteIT {
  @TempDir Path tmp;

  /** The child JVM: the run of {@link PretrainerIT#settings} that pauses in epoch 2's write. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      PretrainerIT.spark = SparkTestSession.get();
      PretrainerIT.data = DatasetInfo.read(args[0], new Configuration());
      PretrainerIT.pretrainer(
              PretrainerIT.settings(args[1], "train.epochs=3"), seed -> new TinyModel(seed, 8, 4))
          .run(true, 0);
      System.exit(0); // not reached: the write of epoch 2 pauses until the test kills this JVM
    }
  }

  @Test
  void resumesFromThePreviousCheckpointWithTheSameEndWeights() throws Exception {
    SparkSession spark = SparkTestSession.get();
    String data = TinyDataset.write(spark, tmp.resolve("data"), 96, 16, 8, 4);
    PretrainerIT.spark = spark;
    PretrainerIT.data = DatasetInfo.read(data, new Configuration());
    String full = tmp.resolve("full").toUri().toString();
    String killed = tmp.resolve("killed").toUri().toString();

    Process child = startChild(data, killed);
    try {
      String line = waitForPause(child);
      assertTrue(line.contains(".tmp-epoch-00002"), line);
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child still alive");
    } finally {
      child.destroyForcibly();
    }
    Path root = tmp.resolve("killed");
    assertTrue(Files.exists(root.resolve(".tmp-epoch-00002/model.safetensors")), "mid-write");
    assertTrue(Files.exists(root.resolve("epoch-00001/_COMPLETE")));

    var resumed =
        PretrainerIT.pretrainer(
                PretrainerIT.settings(killed, "train.epochs=3"), s -> new TinyModel(s, 8, 4))
            .run(true, 0);
    assertEquals(3 * 6, resumed.globalStep());
    List<String> aside;
    try (Stream<Path> s = Files.list(root)) {
      aside =
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.startsWith("epoch-00002.incomplete-"))
              .toList();
    }
    assertEquals(1, aside.size(), "the half-written checkpoint is kept aside");

    PretrainerIT.pretrainer(
            PretrainerIT.settings(full, "train.epochs=3"), s -> new TinyModel(s, 8, 4))
        .run(false, 0);
    INDArray[] x = PretrainerIT.finalState(full, 3);
    INDArray[] y = PretrainerIT.finalState(killed, 3);
    assertTrue(x[0].equalsWithEps(y[0], 1e-6), "weights differ after the kill and resume");
    assertTrue(x[1].equalsWithEps(y[1], 1e-6), "optimizer state differs");
  }

  private Process startChild(String data, String ckpt) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-agentlib:jdwp")) {
        cmd.add(a);
      }
    }
    cmd.add("-D" + CheckpointStore.PAUSE_FOR_FAULT_TEST + "=2");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Child.class.getName());
    cmd.add(data);
    cmd.add(ckpt);
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.PIPE)
        .start();
  }

  /** The child's pause line; fails with the child's last output if it ends or never pauses. */
  private static String waitForPause(Process child) throws Exception {
    List<String> lines = new ArrayList<>();
    CompletableFuture<String> paused = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              // reads to the end, so the child never blocks on a full pipe
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                  synchronized (lines) {
                    lines.add(l);
                  }
                  if (l.startsWith("checkpoint write paused after")) {
                    paused.complete(l);
                  }
                }
              } catch (java.io.IOException e) {
                // the child was killed
              }
              paused.complete(null);
            });
    reader.setDaemon(true);
    reader.start();
    String line = paused.get(240, TimeUnit.SECONDS);
    if (line == null) {
      synchronized (lines) {
        int from = Math.max(0, lines.size() - 30);
        throw new AssertionError(
            "child ended without pausing:\n"
                + String.join("\n", lines.subList(from, lines.size())));
      }
    }
    return line;
  }
}
