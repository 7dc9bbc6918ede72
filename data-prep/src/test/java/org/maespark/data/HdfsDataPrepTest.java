package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input read from and dataset written to a real HDFS (one NameNode, one DataNode). */
class HdfsDataPrepTest {
  private static final String FAST_CLOSE =
      "dfs.client.block.write.locateFollowingBlock.initial.delay.ms";
  private static final String CLOSE_RETRIES = "dfs.client.block.write.locateFollowingBlock.retries";
  private static MiniDFSCluster cluster;
  private static String hdfs;

  @TempDir static Path base;
  @TempDir Path tmp;

  @BeforeAll
  static void startHdfs() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(base.toFile(), "dfs").getAbsolutePath());
    // The client polls the NameNode to close each file, first after 400 ms: with hundreds of tiny
    // files that is minutes. Poll sooner (here and in Spark's client).
    conf.set(FAST_CLOSE, "5");
    SparkTestSession.get().sparkContext().hadoopConfiguration().set(FAST_CLOSE, "5");
    // ... but keep polling (the delay doubles each time: 5 ms .. ~20 s in all) so a loaded machine,
    // where the DataNode reports the block late, does not fail the close ("not enough replicas").
    conf.set(CLOSE_RETRIES, "12");
    SparkTestSession.get().sparkContext().hadoopConfiguration().set(CLOSE_RETRIES, "12");
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    hdfs = "hdfs://localhost:" + cluster.getNameNodePort();
  }

  @AfterAll
  static void stopHdfs() {
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  @Test
  void fmnistFromHdfsToHdfsEqualsTheLocalRun() throws Exception {
    FileSystem fs = cluster.getFileSystem();
    // the val split only (50 files): every HDFS file create/close is slow in a MiniDFSCluster
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(PhotoFixture.FMNIST.resolve("val").toUri()),
        new org.apache.hadoop.fs.Path("/in/fmnist/val"));
    SparkSession spark = SparkTestSession.get();
    String[] conf = {"data.image_size=28", "data.patch=4", "data.channels=1", "data.shard_rows=16"};
    DatasetManifest onHdfs =
        DataPrepJobTest.prepare(
            spark,
            hdfs + "/in/fmnist",
            hdfs + "/out/fmnist",
            false,
            java.util.stream.Stream.concat(
                    java.util.Arrays.stream(conf),
                    java.util.stream.Stream.of("data.parquet_compression=zstd"))
                .toArray(String[]::new));
    assertTrue(onHdfs.source().startsWith("hdfs://"), onHdfs.source());
    assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/out/fmnist/_SUCCESS")));
    assertEquals(4, fs.listStatus(new org.apache.hadoop.fs.Path("/out/fmnist/val")).length);

    DatasetReader reader = DatasetReader.open(spark, hdfs + "/out/fmnist").require(28, 4, 1);
    assertEquals(50, reader.split("val").count());
    assertEquals(10, reader.split("val").select("label").distinct().count());

    // same tree, same config (but the codec), another filesystem: same rows in the same order
    Path localTree = tmp.resolve("fmnist-val");
    copyTree(PhotoFixture.FMNIST.resolve("val"), localTree.resolve("val"));
    DatasetManifest local =
        DataPrepJobTest.prepare(spark, localTree, tmp.resolve("fmnist"), false, conf);
    assertEquals(local.digest(), onHdfs.digest());
  }

  @Test
  void onHdfsTheInputAndForeignFoldersAreNeverReplaced() throws Exception {
    FileSystem fs = cluster.getFileSystem();
    org.apache.hadoop.fs.Path picture = new org.apache.hadoop.fs.Path("/user/imgs/train/a.png");
    org.apache.hadoop.fs.Path notes = new org.apache.hadoop.fs.Path("/user/notes/todo.txt");
    for (org.apache.hadoop.fs.Path p : java.util.List.of(picture, notes)) {
      try (var out = fs.create(p)) {
        out.write(1);
      }
    }
    String in = hdfs + "/user/imgs";
    String[][] refused = {
      {in, "is input"},
      {hdfs + "/user/imgs/", "is input"},
      {hdfs + "/user/imgs/../imgs", "is input"},
      {in + "/train", "is inside input"},
      {hdfs + "/user", "contains input"},
      {hdfs + "/user/notes", "is not a data-prep dataset"},
    };
    for (String[] r : refused) {
      java.io.StringWriter err = new java.io.StringWriter();
      int code =
          DataPrepMain.run(
              new java.io.PrintWriter(new java.io.StringWriter(), true),
              new java.io.PrintWriter(err, true),
              "--input",
              in,
              "--output",
              r[0],
              "--overwrite");
      assertEquals(1, code, r[0]);
      assertTrue(err.toString().contains(r[1]), r[0] + ": " + err);
      assertTrue(fs.exists(picture) && fs.exists(notes), r[0] + ": user files gone");
    }
  }

  private static void copyTree(Path from, Path to) throws java.io.IOException {
    java.nio.file.Files.createDirectories(to.getParent());
    try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(from)) {
      for (Path p : s.toList()) {
        java.nio.file.Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }
}
