package org.maespark.data;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.maespark.command.GlobalOptions;
import org.maespark.command.OutputGuard;
import org.maespark.command.SparkSessions;
import org.maespark.conf.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code data-prep}: image tree -> Parquet dataset. Arguments, configuration, input and output are
 * all checked before Spark starts; the unified CLI mounts this class as its {@code data-prep}
 * subcommand, and {@link DataPrepMain} runs it alone (also under spark-submit).
 */
@Command(
    name = "data-prep",
    mixinStandardHelpOptions = true,
    description = "Turn an image tree into Parquet shards of uint8 patches plus manifest.json.")
public final class DataPrepCommand implements Callable<Integer> {
  /** Config sections other commands own; a shared preset may carry them. */
  private static final List<String> OTHER_SECTIONS =
      List.of("model.", "train.", "eval.", "checkpoint.");

  @Option(names = "--input", required = true, paramLabel = "URI", description = "image tree")
  String input;

  @Option(names = "--output", required = true, paramLabel = "URI", description = "dataset folder")
  String output;

  @Mixin GlobalOptions options;

  @Option(
      names = "--overwrite",
      description = "replace an existing data-prep dataset at --output (nothing else)")
  boolean overwrite;

  @Option(
      names = "--master",
      paramLabel = "URL",
      description = "Spark master; default: spark-submit's, else local[*]")
  String master;

  /** The command's inputs, resolved and checked. */
  public record Checked(DataPrepConfig config, Map<String, String> resolved) {}

  /** Everything that can be refused before Spark starts: config keys and values, input, output. */
  public Checked check() {
    Settings settings = options.settings();
    DataPrepConfig config = DataPrepConfig.fromSettings(settings);
    Map<String, String> resolved = new TreeMap<>();
    for (Map.Entry<String, String> e : settings.values().entrySet()) {
      if (OTHER_SECTIONS.stream().anyMatch(e.getKey()::startsWith)) {
        settings.has(e.getKey()); // another command's key: not ours to refuse
      } else {
        resolved.put(e.getKey(), e.getValue());
      }
    }
    settings.requireAllKnown();
    Configuration hadoop = hadoopConf();
    org.apache.hadoop.fs.Path in = Uris.qualify(input, hadoop);
    try {
      FileSystem fs = in.getFileSystem(hadoop);
      if (!fs.exists(in) || !fs.getFileStatus(in).isDirectory()) {
        throw new IllegalArgumentException("input " + in + " does not exist or is not a folder");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read input " + in, e);
    }
    org.apache.hadoop.fs.Path out = Uris.qualify(output, hadoop);
    OutputGuard.refuseOverlap("input", in, "output", out);
    new DatasetPublisher(out, hadoop).checkTarget(overwrite);
    return new Checked(config, resolved);
  }

  @Override
  public Integer call() {
    Checked checked = check();
    SparkConf sparkConf = new SparkConf();
    if (master != null) {
      sparkConf.setMaster(master);
    }
    try (SparkSessions.Job job = SparkSessions.open(sparkConf, "mae-spark data-prep")) {
      run(job.spark(), checked, System.out);
      return 0;
    }
  }

  /** Runs the job on an existing session (tests, the unified CLI). */
  public DatasetManifest run(SparkSession spark, Checked checked, PrintStream out) {
    out.println("data-prep config: " + checked.config());
    DatasetManifest m =
        new DataPrepJob(spark, checked.config(), checked.resolved()).run(input, output, overwrite);
    StringBuilder sb = new StringBuilder();
    m.splits().forEach((k, v) -> sb.append(' ').append(k).append('=').append(v.rows()));
    out.printf(
        "data-prep: wrote %s:%s rows, %d rejects of %d files, %d classes, %s%n",
        output, sb, m.rejects(), m.inputFiles(), m.classes().size(), m.digest());
    return m;
  }

  /** Hadoop settings before Spark exists: defaults plus spark.hadoop.* system properties. */
  private static Configuration hadoopConf() {
    Configuration c = new Configuration();
    System.getProperties()
        .forEach(
            (k, v) -> {
              String key = k.toString();
              if (key.startsWith("spark.hadoop.")) {
                c.set(key.substring("spark.hadoop.".length()), v.toString());
              }
            });
    return c;
  }
}
