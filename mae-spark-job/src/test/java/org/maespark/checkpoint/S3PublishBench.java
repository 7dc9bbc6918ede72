package org.maespark.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.maespark.testing.S3Proxy;

/**
 * What publishing a ViT-B-sized checkpoint costs on an S3 store where rename is a copy: s3proxy
 * (filesystem backend, objects on the local disk) on loopback, through s3a and the store's own
 * write path. Per repeat, three timings: uploading the files to a folder, renaming that folder (s3a
 * copies every object, then deletes the originals), and {@link CheckpointStore#write} end to end
 * (upload + rename + marker). Not a test; run by hand (command and figures: deploy/README.md "S3
 * and other object stores"):
 *
 * <pre>
 * mvn -B -ntp -q -pl mae-spark-job -am test-compile dependency:build-classpath \
 *   -Dmdep.outputFile=target/test-cp.txt -Dmdep.includeScope=test
 * cd mae-spark-job &amp;&amp; java -Xmx1g -cp "target/test-classes:target/classes:$(cat target/test-cp.txt)" \
 *   org.maespark.checkpoint.S3PublishBench 450 900 3
 * </pre>
 */
public final class S3PublishBench {
  private S3PublishBench() {}

  public static void main(String[] args) throws Exception {
    int weightsMib = args.length > 0 ? Integer.parseInt(args[0]) : 450;
    int optimizerMib = args.length > 1 ? Integer.parseInt(args[1]) : 900;
    int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    String secret = "bench-secret";
    Path work = Files.createTempDirectory("s3-publish-bench");
    // objects on disk (the in-memory store runs out of heap assembling a 900 MB object)
    try (S3Proxy s3 = S3Proxy.start(work, secret, 1024, true, "bench")) {
      Configuration conf = s3.hadoopConf(secret);
      // s3proxy answers an UploadPartCopy that carries x-amz-copy-source-if-match (what s3a's
      // default change detection sends with every copy) with no result, so the SDK fails the copy
      // of any object above fs.s3a.multipart.threshold; in client mode s3a then misses the ETag
      // of large objects. Off here (AWS S3 honours the condition: keep the default there).
      conf.set("fs.s3a.change.detection.mode", "none");
      // s3proxy's filesystem backend takes ~10 s for each request that deletes folder markers
      // (s3a sends one after every mkdirs and every file it closes under a fresh folder; measured
      // by phase: mkdirs 10.5 s, a 1-byte _COMPLETE 20.2 s); keeping the markers measures the
      // upload and the copy instead. On AWS S3 that delete is one quick request.
      conf.set("fs.s3a.directory.marker.retention", "keep");
      // -Dfs.s3a.<key>=<value> on the command line: other s3a settings to compare
      System.getProperties().stringPropertyNames().stream()
          .filter(k -> k.startsWith("fs.s3a."))
          .forEach(k -> conf.set(k, System.getProperty(k)));
      FileSystem fs = FileSystem.get(URI.create("s3a://bench/"), conf);
      Map<String, CheckpointStore.FileWriter> files = new LinkedHashMap<>();
      files.put(CheckpointStore.WEIGHTS, out -> fill(out, weightsMib));
      files.put(CheckpointStore.OPTIMIZER, out -> fill(out, optimizerMib));
      double mib = weightsMib + optimizerMib;
      List<Double> upload = new ArrayList<>();
      List<Double> rename = new ArrayList<>();
      List<Double> publish = new ArrayList<>();
      for (int r = 0; r < repeats; r++) {
        org.apache.hadoop.fs.Path up = new org.apache.hadoop.fs.Path("s3a://bench/up-" + r);
        org.apache.hadoop.fs.Path moved = new org.apache.hadoop.fs.Path("s3a://bench/moved-" + r);
        long t0 = System.nanoTime();
        for (Map.Entry<String, CheckpointStore.FileWriter> f : files.entrySet()) {
          try (FSDataOutputStream out =
              fs.create(new org.apache.hadoop.fs.Path(up, f.getKey()), false)) {
            f.getValue().write(out);
          }
        }
        long t1 = System.nanoTime();
        if (!fs.rename(up, moved)) {
          throw new IOException("rename " + up + " failed");
        }
        long t2 = System.nanoTime();
        fs.delete(moved, true);
        CheckpointStore store =
            new CheckpointStore(fs, new org.apache.hadoop.fs.Path("s3a://bench/ckpt-" + r));
        long t3 = System.nanoTime();
        store.write(1, files);
        long t4 = System.nanoTime();
        store.verify(store.find(1).orElseThrow());
        fs.delete(store.root(), true);
        upload.add((t1 - t0) / 1e9);
        rename.add((t2 - t1) / 1e9);
        publish.add((t4 - t3) / 1e9);
        System.out.printf(
            "repeat %d: upload %.1f s, rename (copy) %.1f s, CheckpointStore.write %.1f s%n",
            r + 1, upload.get(r), rename.get(r), publish.get(r));
      }
      System.out.printf(
          "BENCH_S3_PUBLISH mib=%.0f repeats=%d upload_s=%.1f upload_mib_s=%.0f rename_s=%.1f"
              + " rename_mib_s=%.0f publish_s=%.1f publish_mib_s=%.0f%n",
          mib,
          repeats,
          median(upload),
          mib / median(upload),
          median(rename),
          mib / median(rename),
          median(publish),
          mib / median(publish));
    } finally {
      org.apache.hadoop.fs.FileUtil.fullyDelete(work.toFile()); // gigabytes of objects
    }
  }

  /** {@code mib} MiB of incompressible bytes. */
  private static void fill(OutputStream out, int mib) throws IOException {
    byte[] block = new byte[1 << 20];
    new Random(mib).nextBytes(block);
    for (int i = 0; i < mib; i++) {
      block[0] = (byte) i; // no two MiB alike
      out.write(block);
    }
  }

  private static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
