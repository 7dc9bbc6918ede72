package org.maespark.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.maespark.checkpoint.CheckpointState;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.checkpoint.Versions;
import org.maespark.conf.Settings;
import org.maespark.train.MaeTrainModel;

/**
 * A real checkpoint of the untrained tiny MAE ({@link FmnistTestData#TINY_MAE}), written through
 * the store as pretrain writes one, without Spark: for the commands that read checkpoints.
 */
public final class TinyCheckpoint {
  private TinyCheckpoint() {}

  /** The tiny MAE's configuration. */
  public static Settings settings() {
    return Settings.load(null, FmnistTestData.TINY_MAE);
  }

  /** Writes epoch {@code epoch} under {@code root}; {@code edit} may change the model first. */
  public static CheckpointStore.Checkpoint write(
      Path root, int epoch, java.util.function.Consumer<MaeTrainModel> edit) throws IOException {
    Settings s = settings();
    MaeTrainModel model = MaeTrainModel.create(s, 7);
    edit.accept(model);
    CheckpointState state =
        new CheckpointState(
            CheckpointState.FORMAT_VERSION,
            epoch,
            epoch * 10L,
            10,
            1e-4,
            7,
            s.toPropertiesText(),
            "sha256:test",
            "file:/nowhere",
            new double[] {0.5},
            new double[] {0.25},
            Map.of(),
            Versions.current(),
            null);
    Map<String, CheckpointStore.FileWriter> files = new LinkedHashMap<>();
    files.put(CheckpointStore.WEIGHTS, model::saveWeights);
    files.put(CheckpointStore.STATE, out -> out.write(state.toJson()));
    return CheckpointStore.open(root.toUri().toString(), new Configuration()).write(epoch, files);
  }

  public static CheckpointStore.Checkpoint write(Path root, int epoch) throws IOException {
    return write(root, epoch, m -> {});
  }
}
