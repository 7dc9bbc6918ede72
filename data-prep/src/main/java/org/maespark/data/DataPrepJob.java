package org.maespark.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.Tuple3;

/**
 * The data-prep steps, in order: list the tree, fix the class list, decode every split into
 * shuffled shards, write rows and rejects, summarise into the manifest, publish atomically.
 */
public final class DataPrepJob {
  private static final Logger LOG = LoggerFactory.getLogger(DataPrepJob.class);
  private static final Pattern PART = Pattern.compile("part-(\\d+)-.*\\.parquet");

  private final SparkSession spark;
  private final DataPrepConfig config;
  private final Map<String, String> resolvedConfig;

  /**
   * @param resolvedConfig the data.* settings as given (recorded in the manifest)
   */
  public DataPrepJob(SparkSession spark, DataPrepConfig config, Map<String, String> resolved) {
    this.spark = spark;
    this.config = config.withResolvedDecoder();
    this.resolvedConfig = new TreeMap<>(resolved);
    this.resolvedConfig.put("data.decoder", this.config.decoder());
  }

  /** Builds the dataset at {@code output} from the tree at {@code input}; returns its manifest. */
  public DatasetManifest run(String input, String output, boolean overwrite) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Path in = Uris.qualify(input, hadoop);
    Path out = Uris.qualify(output, hadoop);
    DatasetPublisher publisher = new DatasetPublisher(out, hadoop);
    publisher.checkTarget(overwrite);
    ImageTree.Listing listing = ImageTree.list(spark, in, config);
    JavaRDD<FileEntry> entries = listing.entries().persist(StorageLevel.MEMORY_AND_DISK());
    List<JavaRDD<?>> cached = new ArrayList<>(List.of(entries));
    Path staging = null;
    boolean published = false;
    try {
      // one pass over the listing: (split, synset, reject stage or "") -> files. A Tuple3 key,
      // not List.of: Kryo cannot rebuild the JDK's immutable collections after the shuffle.
      Map<Tuple3<String, String, String>, Long> summary =
          entries
              .map(
                  e ->
                      new Tuple3<>(
                          e.split(), e.synset(), e.reject() == null ? "" : e.reject().stage()))
              .countByValue();
      List<String> classes =
          summary.keySet().stream()
              .filter(k -> k._3().isEmpty() && !k._2().isEmpty())
              .map(Tuple3::_2)
              .distinct()
              .sorted()
              .toList();
      Map<String, Long> perSplit = new TreeMap<>();
      Map<String, Long> rejectsByStage = new TreeMap<>();
      long inputFiles = 0;
      for (Map.Entry<Tuple3<String, String, String>, Long> e : summary.entrySet()) {
        inputFiles += e.getValue();
        if (e.getKey()._3().isEmpty()) {
          perSplit.merge(e.getKey()._1(), e.getValue(), Long::sum);
        } else {
          rejectsByStage.merge(e.getKey()._3(), e.getValue(), Long::sum);
        }
      }
      LOG.info(
          "input {}: layout {}, {} files, {} classes, per split {}",
          in,
          listing.layout(),
          inputFiles,
          classes.size(),
          perSplit);
      logCachedListing(entries.id());
      Map<String, Integer> classIndex = new HashMap<>();
      for (int i = 0; i < classes.size(); i++) {
        classIndex.put(classes.get(i), i);
      }
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Broadcast<Map<String, Integer>> labels = jsc.broadcast(classIndex);
      // once per executor, not once per task: a Configuration serializes to tens of KB
      Broadcast<HadoopConf> conf = jsc.broadcast(new HadoopConf(hadoop));
      staging = publisher.createStaging();

      MessageDigest digest = SplitStats.sha256();
      digest.update(header().getBytes(StandardCharsets.UTF_8));
      Map<String, DatasetManifest.Split> splits = new LinkedHashMap<>();
      long[][] trainMoments = null;
      List<Row> decodeRejects = new ArrayList<>();
      for (String split : listing.splits()) {
        long files = perSplit.getOrDefault(split, 0L);
        int shards = ShufflePlan.shards(files, config.rowsPerShard());
        long seed = config.seed();
        Path statsDir = new Path(staging, "_stats/" + split);
        JavaRDD<Outcome> outcomes =
            entries
                .filter(e -> e.reject() == null && e.split().equals(split))
                .mapToPair(
                    e ->
                        new Tuple2<>(
                            ShufflePlan.shard(ShufflePlan.sortKey(seed, e.key()), shards), e))
                .partitionBy(new IndexPartitioner(shards))
                .values()
                // one pass: rows stream to Parquet, each task leaves its shard's summary
                .mapPartitions(new DecodeShard(config, conf, labels, statsDir.toString()));
        Path dir = new Path(staging, split);
        int size = config.imageSize();
        int patch = config.patch();
        int channels = config.channels();
        spark
            .createDataFrame(
                outcomes.filter(Outcome::ok).map(o -> row(o, size, patch)), DatasetSchema.ROWS)
            .write()
            .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
            .option("compression", config.compression())
            .mode(SaveMode.ErrorIfExists)
            .parquet(dir.toString());
        long rows = 0;
        Map<String, Long> perClass = new TreeMap<>();
        long[][] moments = new long[2][channels];
        Map<Integer, Long> rowsOf = new HashMap<>();
        digest.update(("split " + split + "\n").getBytes(StandardCharsets.UTF_8));
        // one shard's summary at a time, in shard order: the driver holds the sums, never all
        // shards' per-class maps at once (ImageNet at 256 px: ~1900 shards x ~500 classes)
        FileSystem statsFs = statsDir.getFileSystem(hadoop);
        for (int i = 0; i < shards; i++) {
          SplitStats s = readStats(statsFs, statsDir, i);
          s.rejects().forEach(o -> decodeRejects.add(rejectRow(o)));
          rowsOf.put(s.shard(), s.rows());
          rows += s.rows();
          s.perSynset().forEach((k, v) -> perClass.merge(k, v, Long::sum));
          s.rejectsByStage().forEach((k, v) -> rejectsByStage.merge(k, v, Long::sum));
          for (int c = 0; c < channels; c++) {
            moments[0][c] += s.sum()[c];
            moments[1][c] += s.sumSquares()[c];
          }
          digest.update(ByteBuffer.allocate(12).putInt(s.shard()).putLong(s.rows()).array());
          digest.update(s.digest());
        }
        statsFs.delete(statsDir, true);
        List<DatasetManifest.Shard> shardFiles = renameShards(dir, hadoop, rowsOf);
        if (split.equals("train")) {
          trainMoments = moments;
        }
        splits.put(split, new DatasetManifest.Split(rows, perClass, shardFiles));
        LOG.info("split {}: {} rows in {} shards", split, rows, shardFiles.size());
      }
      staging.getFileSystem(hadoop).delete(new Path(staging, "_stats"), true);
      spark
          .createDataFrame(
              entries
                  .filter(e -> e.reject() != null)
                  .map(DataPrepJob::rejectRow)
                  .union(jsc.parallelize(decodeRejects, 1)),
              DatasetSchema.REJECTS)
          .repartition(1)
          .sortWithinPartitions(DatasetSchema.REJECT_KEY)
          .write()
          .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
          .parquet(new Path(staging, "rejects").toString());
      long rejects = rejectsByStage.values().stream().mapToLong(Long::longValue).sum();
      long trainRows = splits.containsKey("train") ? splits.get("train").rows() : 0;
      double[][] meanStd = meanStd(trainMoments, trainRows, config);
      DatasetManifest manifest =
          new DatasetManifest(
              DatasetManifest.FORMAT_VERSION,
              "mae-spark data-prep",
              in.toString(),
              listing.layout(),
              config.imageSize(),
              config.patch(),
              config.channels(),
              config.numPatches(),
              classes,
              splits,
              meanStd[0],
              meanStd[1],
              inputFiles,
              rejects,
              rejectsByStage,
              config.seed(),
              resolvedConfig,
              "sha256:" + HexFormat.of().formatHex(digest.digest()),
              listing.valLabels());
      FileSystem fs = staging.getFileSystem(hadoop);
      try (OutputStream o = fs.create(new Path(staging, DatasetManifest.FILE), false)) {
        manifest.write(o);
      }
      publisher.publish(staging, manifest, overwrite);
      published = true;
      LOG.info(
          "published {}: {} rows, {} rejects, {}",
          out,
          inputFiles - rejects,
          rejects,
          manifest.digest());
      return manifest;
    } catch (IOException e) {
      throw new UncheckedIOException("data-prep failed writing " + out, e);
    } finally {
      if (staging != null && !published) {
        publisher.discard(staging);
      }
      cached.forEach(JavaRDD::unpersist);
    }
  }

  /** What the listing costs the executors' memory: one FileEntry per file, nothing more. */
  private void logCachedListing(int rddId) {
    for (RDDInfo info : spark.sparkContext().getRDDStorageInfo()) {
      if (info.id() == rddId) {
        LOG.info(
            "listing cached: {} MiB in memory, {} MiB on disk",
            String.format(Locale.ROOT, "%.1f", info.memSize() / 1048576.0),
            String.format(Locale.ROOT, "%.1f", info.diskSize() / 1048576.0));
      }
    }
  }

  /** Shard i's summary; a missing one means a task did not finish. */
  private static SplitStats readStats(FileSystem fs, Path dir, int shard) throws IOException {
    try (InputStream in = fs.open(new Path(dir, DecodeShard.statsFile(shard)))) {
      return SplitStats.read(in);
    }
  }

  /** What the digest covers besides the rows: the stored format. */
  private String header() {
    return "maespark-dataset v"
        + DatasetManifest.FORMAT_VERSION
        + " size "
        + config.imageSize()
        + " patch "
        + config.patch()
        + " channels "
        + config.channels()
        + "\n";
  }

  /** Spark names files part-NNNNN-&lt;job uuid&gt;-c000...; shard i becomes part-0000i.parquet. */
  private static List<DatasetManifest.Shard> renameShards(
      Path dir, Configuration hadoop, Map<Integer, Long> rowsOf) throws IOException {
    FileSystem fs = dir.getFileSystem(hadoop);
    List<DatasetManifest.Shard> shards = new ArrayList<>();
    for (FileStatus f : fs.listStatus(dir)) {
      Matcher m = PART.matcher(f.getPath().getName());
      if (!m.matches()) {
        continue;
      }
      int shard = Integer.parseInt(m.group(1));
      long rows = rowsOf.getOrDefault(shard, 0L);
      if (rows == 0) {
        fs.delete(f.getPath(), false); // an empty placeholder file Spark writes for a 0-row split
        continue;
      }
      String name = String.format("part-%05d.parquet", shard);
      if (!fs.rename(f.getPath(), new Path(dir, name))) {
        throw new IOException("cannot rename " + f.getPath() + " to " + name);
      }
      shards.add(new DatasetManifest.Shard(name, rows));
    }
    shards.sort((a, b) -> a.file().compareTo(b.file()));
    return shards;
  }

  private static double[][] meanStd(long[][] moments, long rows, DataPrepConfig config) {
    double[] mean = new double[config.channels()];
    double[] std = new double[config.channels()];
    if (moments == null || rows == 0) {
      return new double[][] {mean, std};
    }
    double n = (double) rows * config.imageSize() * config.imageSize();
    for (int c = 0; c < mean.length; c++) {
      double m = moments[0][c] / n;
      double var = Math.max(0, moments[1][c] / n - m * m);
      mean[c] = m / 255.0;
      std[c] = Math.sqrt(var) / 255.0;
    }
    return new double[][] {mean, std};
  }

  private static Row row(Outcome o, int size, int patch) {
    return RowFactory.create(
        o.key(),
        o.label(),
        o.synset(),
        size,
        size,
        o.origHeight(),
        o.origWidth(),
        patch,
        o.patches());
  }

  private static Row rejectRow(FileEntry e) {
    return RowFactory.create(e.key(), e.split(), e.reject().stage(), e.reject().reason());
  }

  private static Row rejectRow(Outcome o) {
    return RowFactory.create(o.key(), o.split(), o.reject().stage(), o.reject().reason());
  }
}
