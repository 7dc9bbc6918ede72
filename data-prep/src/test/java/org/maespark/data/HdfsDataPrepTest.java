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
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(PhotoFixture.FMNIST.toUri()),
        new org.apache.hadoop.fs.Path("/in/fmnist"));
    SparkSession spark = SparkTestSession.get();
    String[] conf = {"data.image_size=28", "data.patch=4", "data.channels=1", "data.shard_rows=64"};
    DatasetManifest onHdfs =
        DataPrepJobTest.prepare(spark, hdfs + "/in/fmnist", hdfs + "/out/fmnist", false, conf);
    assertTrue(onHdfs.source().startsWith("hdfs://"), onHdfs.source());
    assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/out/fmnist/_SUCCESS")));
    assertEquals(4, fs.listStatus(new org.apache.hadoop.fs.Path("/out/fmnist/train")).length);

    DatasetReader reader = DatasetReader.open(spark, hdfs + "/out/fmnist").require(28, 4, 1);
    assertEquals(200, reader.split("train").count());
    assertEquals(50, reader.split("val").count());

    // same tree, same config, another filesystem: same rows in the same order
    DatasetManifest local =
        DataPrepJobTest.prepare(spark, PhotoFixture.FMNIST, tmp.resolve("fmnist"), false, conf);
    assertEquals(local.digest(), onHdfs.digest());
  }
}
