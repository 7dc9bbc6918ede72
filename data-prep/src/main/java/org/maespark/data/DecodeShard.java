package org.maespark.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * One shard's task: put its files in shuffled order (by seeded sort key), then read and prepare
 * them one at a time. Reading happens here, on the executor, so the shuffle before it moved only
 * file names, never image bytes.
 */
final class DecodeShard implements FlatMapFunction<Iterator<FileEntry>, Outcome> {
  private final DataPrepConfig config;
  private final HadoopConf conf;
  private final Broadcast<Map<String, Integer>> labels;

  DecodeShard(DataPrepConfig config, HadoopConf conf, Broadcast<Map<String, Integer>> labels) {
    this.config = config;
    this.conf = conf;
    this.labels = labels;
  }

  @Override
  public Iterator<Outcome> call(Iterator<FileEntry> files) {
    List<FileEntry> shard = new ArrayList<>();
    files.forEachRemaining(shard::add);
    long seed = config.seed();
    shard.sort(
        Comparator.comparingLong((FileEntry e) -> ShufflePlan.sortKey(seed, e.key()))
            .thenComparing(FileEntry::key));
    ImagePipeline pipeline = new ImagePipeline(config);
    Map<String, Integer> classIndex = labels.value();
    Iterator<FileEntry> it = shard.iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public Outcome next() {
        FileEntry e = it.next();
        int label = e.synset().isEmpty() ? -1 : classIndex.get(e.synset());
        if (!config.failOnKey().isEmpty() && e.key().endsWith(config.failOnKey())) {
          throw new IllegalStateException("data.fail_on_key matched " + e.key() + " (test hook)");
        }
        try {
          ImagePipeline.Prepared p = pipeline.prepare(read(e));
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

  private byte[] read(FileEntry e) throws IOException, RejectException {
    if (e.length() > (long) config.maxFileMib() << 20) {
      throw new RejectException(
          "size",
          "file is " + e.length() + " bytes, above data.max_file_mib=" + config.maxFileMib());
    }
    Path p = new Path(e.path());
    FileSystem fs = p.getFileSystem(conf.get());
    try (InputStream in = fs.open(p)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) e.length());
      in.transferTo(out);
      return out.toByteArray();
    }
  }
}
