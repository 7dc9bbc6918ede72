package org.maespark.checkpoint;

import java.io.File;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The same contract on a real HDFS (one NameNode, one DataNode, in this JVM). */
class HdfsCheckpointStoreTest extends CheckpointStoreContract {
  @TempDir static Path base;
  static MiniDFSCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(base.toFile(), "dfs").getPath());
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  @Override
  CheckpointStore store(String name) {
    String uri = "hdfs://localhost:" + cluster.getNameNodePort() + "/ckpt/" + name;
    return CheckpointStore.open(uri, cluster.getConfiguration(0));
  }

  @Override
  FileSystem fs() throws Exception {
    return cluster.getFileSystem();
  }
}
