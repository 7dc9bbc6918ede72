package org.maespark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.checkpoint.LoadedCheckpoint;
import org.maespark.command.GlobalOptions;
import org.maespark.command.OutputGuard;
import org.maespark.command.SparkSessions;
import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;
import org.maespark.eval.EvalConfig;
import org.maespark.eval.Evaluator;
import org.maespark.input.DatasetInfo;
import org.maespark.input.Normalize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code evaluate}: checkpoint + labelled dataset -> val loss, kNN, linear probe, recon.png. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = "Evaluate a checkpoint: val loss, kNN top-1, linear probe, recon.png.")
final class EvaluateCommand implements Callable<Integer> {
  @Mixin GlobalOptions options;

  @Option(
      names = "--checkpoint",
      required = true,
      description = "Checkpoint directory, or a checkpoint root (its newest complete one).")
  String checkpoint;

  @Option(names = "--dataset", description = "Dataset (default: the one the checkpoint used).")
  String dataset;

  @Option(names = "--output", description = "Directory for eval.json and recon.png.")
  String output;

  @Override
  public Integer call() throws Exception {
    Settings s = options.settings();
    EvalConfig eval = EvalConfig.fromSettings(s);
    PretrainCommand.resolveKnownKeys(s); // a shared preset may carry other sections' keys
    try (SparkSessions.Job job = SparkSessions.open("mae-evaluate")) {
      SparkSession spark = job.spark();
      Configuration hc = spark.sparkContext().hadoopConfiguration();
      if (output != null) {
        Path out = new Path(output);
        Set<String> own = Set.of("eval.json", Evaluator.RECON, ".eval.json.crc", ".recon.png.crc");
        OutputGuard.requireOwnedOrAbsent(
            out.getFileSystem(hc),
            out.getFileSystem(hc).makeQualified(out),
            "mae output folder",
            "it holds files other than eval.json, " + Evaluator.RECON,
            own::containsAll);
      }
      LoadedCheckpoint ck = LoadedCheckpoint.open(checkpoint, hc);
      String uri = dataset != null ? dataset : ck.state().datasetUri();
      if (uri == null) {
        throw new ConfigException(
            ck.dir() + " records no dataset (imported weights): give --dataset");
      }
      DatasetInfo data = DatasetInfo.read(uri, hc);
      Normalize normalize =
          ck.settings().getEnum("train.normalize", Normalize.MANIFEST, Normalize.class);
      Evaluator ev = new Evaluator(spark, data, normalize, eval, true);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("checkpoint", ck.dir().toString());
      m.put("epoch", ck.state().epoch());
      m.putAll(ev.evaluate(ck.model(), ck.state().epoch()));
      m.put("knn_raw_pixels", ev.rawPixelKnn(ck.model()));
      String json =
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m);
      System.out.println(json);
      if (output != null) {
        Path out = new Path(output);
        FileSystem fs = out.getFileSystem(hc);
        fs.mkdirs(out);
        try (OutputStream o = fs.create(new Path(out, "eval.json"), true)) {
          o.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        try (OutputStream o = fs.create(new Path(out, Evaluator.RECON), true)) {
          o.write(ev.reconPng(ck.model()));
        }
      }
      Map<String, Object> line = new LinkedHashMap<>(m);
      line.put("kind", "evaluate");
      new CheckpointStore(ck.dir().getFileSystem(hc), ck.dir().getParent()).appendMetrics(line);
      return 0;
    }
  }
}
