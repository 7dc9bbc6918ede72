package org.maespark.checkpoint;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.io.TempDir;

class LocalCheckpointStoreTest extends CheckpointStoreContract {
  @TempDir Path tmp;

  @Override
  CheckpointStore store(String name) {
    return CheckpointStore.open(tmp.resolve(name).toUri().toString(), new Configuration());
  }

  @Override
  FileSystem fs() throws Exception {
    return FileSystem.getLocal(new Configuration());
  }
}
