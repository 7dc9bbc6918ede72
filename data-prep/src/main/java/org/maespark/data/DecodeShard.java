package org.maespark.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * One shard's task: put its files in shuffled order (by seeded sort key), then read and prepare
 * them one at a time. Reading happens here, on the executor, so the shuffle before it moved only
 * file names, never image bytes.
 *
 * <p>While the rows stream to the Parquet writer, the task sums up its shard ({@link SplitStats})
 * and, when the shard is done, writes that summary to {@code statsDir/shard-NNNNN}. Decoding is
 * deterministic, so a retried or speculative attempt writes the same summary: the driver reads one
 * per shard and never needs a second pass over the pixels.
 */
final class DecodeShard implements FlatMapFunction<Iterator<FileEntry>, Outcome> {
  private final DataPrepConfig config;
  private final Broadcast<HadoopConf> conf;
  private final Broadcast<Map<String, Integer>> labels;
  private final String statsDir;

  DecodeShard(
      DataPrepConfig config,
      Broadcast<HadoopConf> conf,
      Broadcast<Map<String, Integer>> labels,
      String statsDir) {
    this.config = config;
    this.conf = conf;
    this.labels = labels;
    this.statsDir = statsDir;
  }

  static String statsFile(int shard) {
    return String.format("shard-%05d", shard);
  }

  @Override
  public Iterator<Outcome> call(Iterator<FileEntry> files) {
    int shardIndex = TaskContext.getPartitionId();
    SplitStats.Builder stats = new SplitStats.Builder(shardIndex, config.channels());
    List<FileEntry> shard = new ArrayList<>();
    files.forEachRemaining(shard::add);
    long seed = config.seed();
    shard.sort(
        Comparator.comparingLong((FileEntry e) -> ShufflePlan.sortKey(seed, e.key()))
            .thenComparing(FileEntry::key));
    ImagePipeline pipeline = new ImagePipeline(config);
    Map<String, Integer> classIndex = labels.value();
    Iterator<FileEntry> it = shard.iterator();
    // FileSystem.get per file cost ~1% of a task (cache key, a String.format): once per scheme
    Map<String, FileSystem> filesystems = new HashMap<>();
    return new Iterator<>() {
      private boolean written;

      @Override
      public boolean hasNext() {
        if (!it.hasNext() && !written) {
          writeStats(stats.build());
          written = true;
        }
        return it.hasNext();
      }

      @Override
      public Outcome next() {
        Outcome o = prepare(it.next());
        stats.add(o);
        return o;
      }

      private Outcome prepare(FileEntry e) {
        int label = e.synset().isEmpty() ? -1 : classIndex.get(e.synset());
        if (!config.failOnKey().isEmpty() && e.key().endsWith(config.failOnKey())) {
          throw new IllegalStateException("data.fail_on_key matched " + e.key() + " (test hook)");
        }
        try {
          ImagePipeline.Prepared p = pipeline.prepare(read(e, filesystems));
          return new Outcome(
              e.key(),
              e.split(),
              e.synset(),
              label,
              p.patches(),
              p.origWidth(),
              p.origHeight(),
              null);
        } catch (RejectException r) {
          return new Outcome(e.key(), e.split(), e.synset(), label, null, 0, 0, r.reject());
        } catch (IOException io) {
          Reject r = new Reject("read", "cannot read: " + io);
          return new Outcome(e.key(), e.split(), e.synset(), label, null, 0, 0, r);
        }
      }
    };
  }

  private void writeStats(SplitStats s) {
    Path p = new Path(statsDir, statsFile(s.shard()));
    try (OutputStream out = p.getFileSystem(conf.value().get()).create(p, true)) {
      s.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write shard summary " + p, e);
    }
  }

  private byte[] read(FileEntry e, Map<String, FileSystem> filesystems)
      throws IOException, RejectException {
    if (e.length() > (long) config.maxFileMib() << 20) {
      throw new RejectException(
          "size",
          "file is " + e.length() + " bytes, above data.max_file_mib=" + config.maxFileMib());
    }
    Path p = new Path(e.path());
    String scheme = p.toUri().getScheme() + "://" + p.toUri().getAuthority();
    FileSystem fs = filesystems.get(scheme);
    if (fs == null) {
      fs = p.getFileSystem(conf.value().get());
      filesystems.put(scheme, fs);
    }
    try (InputStream in = fs.open(p)) {
      // straight into an array of the listed size; a file that grew since the listing still
      // reads whole, as it did through a growing buffer
      byte[] listed = new byte[(int) e.length()];
      int n = in.readNBytes(listed, 0, listed.length);
      int next = n < listed.length ? -1 : in.read();
      if (next < 0) {
        return n == listed.length ? listed : Arrays.copyOf(listed, n);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(listed.length + 8192);
      out.write(listed);
      out.write(next);
      in.transferTo(out);
      return out.toByteArray();
    }
  }
}
