package org.maespark.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.maespark.conf.Settings;
import org.maespark.train.MaeTrainModel;

/**
 * A checkpoint opened for use (evaluate, inspect, export): its state, its resolved configuration
 * and the model rebuilt from that configuration with the checkpoint's weights.
 *
 * @param dir the checkpoint directory
 * @param state its {@code state.json}
 * @param settings the configuration the run was trained with
 * @param model the MAE with the checkpoint's weights
 */
public record LoadedCheckpoint(
    Path dir, CheckpointState state, Settings settings, MaeTrainModel model) {

  /**
   * Opens {@code uri}: a checkpoint directory ({@code .../epoch-00020}) or a checkpoint root, in
   * which case the newest complete checkpoint. Incomplete checkpoints are refused.
   */
  public static LoadedCheckpoint open(String uri, Configuration conf) throws IOException {
    Path p = new Path(uri);
    FileSystem fs = p.getFileSystem(conf);
    CheckpointStore.Checkpoint c;
    if (fs.exists(new Path(p, CheckpointStore.STATE))) {
      CheckpointStore parent = new CheckpointStore(fs, p.getParent());
      int epoch = parseEpoch(p.getName(), uri);
      c =
          parent
              .find(epoch)
              .orElseThrow(
                  () ->
                      new IOException(uri + " is not a complete checkpoint (no valid _COMPLETE)"));
    } else {
      c =
          new CheckpointStore(fs, p)
              .newestComplete()
              .orElseThrow(() -> new IOException("no complete checkpoint under " + uri));
    }
    CheckpointState state;
    try (InputStream in = fs.open(new Path(c.dir(), CheckpointStore.STATE))) {
      state = CheckpointState.read(in, c.dir().toString());
    }
    Settings settings = Settings.parse(state.config());
    MaeTrainModel model = MaeTrainModel.create(settings, state.seed());
    try (InputStream in = fs.open(new Path(c.dir(), CheckpointStore.WEIGHTS))) {
      model.loadWeights(in);
    }
    return new LoadedCheckpoint(c.dir(), state, settings, model);
  }

  private static int parseEpoch(String name, String uri) throws IOException {
    if (!name.matches("epoch-\\d{5,}")) {
      throw new IOException(uri + ": a checkpoint directory is named epoch-NNNNN");
    }
    return Integer.parseInt(name.substring("epoch-".length()));
  }
}
