package org.maespark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.checkpoint.CheckpointConfig;
import org.maespark.conf.Settings;
import org.maespark.eval.EvalConfig;
import org.maespark.input.DatasetInfo;
import org.maespark.testing.SparkTestSession;
import org.maespark.testing.TinyDataset;
import org.maespark.testing.TinyModel;

/**
 * What the epoch loop reports per round: the epoch's train loss is the mean over every step (here
 * every step has its own progress line), and each round's time in the workers' fit is within the
 * round's wall time.
 */
class RoundMetricsTest {
  @TempDir Path tmp;

  @Test
  void epochLossIsTheMeanOverEveryStepAndFitTimeIsPartOfTheRound() throws Exception {
    var spark = SparkTestSession.get();
    String uri = TinyDataset.write(spark, tmp.resolve("data"), 64, 8, 8, 4);
    Settings s =
        Settings.load(
            null,
            List.of(
                "train.epochs=1",
                "train.warmup_epochs=0",
                "train.blr=0.02",
                "train.batch_per_worker=8",
                "train.workers=2",
                "train.log_every_steps=1",
                "checkpoint.dir=" + tmp.resolve("ckpt").toUri(),
                "checkpoint.every=1"));
    new Pretrainer(
            spark,
            s.toPropertiesText(),
            TrainConfig.fromSettings(s),
            CheckpointConfig.fromSettings(s),
            EvalConfig.fromSettings(s),
            DatasetInfo.read(uri, new Configuration()),
            seed -> new TinyModel(seed, 8, 4),
            null)
        .run(false, 0);
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> steps = new ArrayList<>();
    JsonNode epoch = null;
    for (String line : Files.readAllLines(tmp.resolve("ckpt/metrics.jsonl"))) {
      JsonNode n = json.readTree(line);
      if (n.get("kind").asText().equals("step")) {
        steps.add(n);
      } else {
        epoch = n;
      }
    }
    assertEquals(4, steps.size()); // 64 images / (2 x 8)
    double sum = 0;
    for (JsonNode n : steps) {
      sum += n.get("loss").asDouble();
      double fit = n.get("round_fit_s").asDouble();
      assertTrue(fit > 0 && fit <= n.get("round_s").asDouble(), n.toString());
    }
    assertEquals(sum / steps.size(), epoch.get("train_loss").asDouble(), 1e-9);
    assertTrue(epoch.get("fit_s").asDouble() > 0);
    assertTrue(epoch.get("fit_s").asDouble() <= epoch.get("epoch_s").asDouble());
  }
}
