package org.maespark.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.cli.Main;

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

  /**
   * Bad input on a cluster filesystem (here, as this class has HDFS up): a dataset or image tree
   * that is not there fails before any training, in one line naming the URI.
   */
  @Test
  void aMissingDatasetOnHdfsFailsInOneLineNamingIt() {
    String missing = "hdfs://localhost:" + cluster.getNameNodePort() + "/datasets/none";
    String ckpt = "hdfs://localhost:" + cluster.getNameNodePort() + "/ckpt/never";
    for (String[] args :
        List.of(
            new String[] {"pretrain", "--dataset", missing, "--checkpoints", ckpt},
            new String[] {"data-prep", "--input", missing, "--output", ckpt})) {
      StringWriter err = new StringWriter();
      assertEquals(1, Main.execute(new PrintWriter(err), args), err.toString());
      String msg = err.toString().strip();
      assertEquals(1, msg.lines().count(), msg);
      assertTrue(msg.contains(missing), msg);
    }
  }
}
