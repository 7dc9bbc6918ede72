package org.maespark.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.maespark.conf.Settings;
import org.maespark.model.MaeWeights;
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
   * which case the newest complete checkpoint. A checkpoint whose files do not match their sizes
   * and sha256 digests in {@code _COMPLETE} is refused, naming the file and both digests.
   */
  public static LoadedCheckpoint open(String uri, Configuration conf) throws IOException {
    Path p = new Path(uri);
    FileSystem fs = p.getFileSystem(conf);
    if (!fs.exists(p)) {
      throw new IOException(uri + " does not exist");
    }
    CheckpointStore.Checkpoint c;
    CheckpointStore store;
    if (p.getName().matches("epoch-\\d{5,}")) {
      store = new CheckpointStore(fs, p.getParent());
      c = new CheckpointStore.Checkpoint(parseEpoch(p.getName(), uri), fs.makeQualified(p));
    } else if (fs.exists(new Path(p, CheckpointStore.STATE))) {
      throw new IOException(uri + ": a checkpoint directory is named epoch-NNNNN");
    } else {
      store = new CheckpointStore(fs, p);
      c =
          store
              .newestComplete()
              .orElseThrow(() -> new IOException("no complete checkpoint under " + uri));
    }
    store.verify(c); // the real reason, not just "incomplete"
    CheckpointState state;
    try (InputStream in = fs.open(new Path(c.dir(), CheckpointStore.STATE))) {
      state = CheckpointState.read(in, c.dir().toString());
    }
    Settings settings = Settings.parse(state.config());
    MaeTrainModel model = MaeTrainModel.create(settings, state.seed());
    try (InputStream in = fs.open(new Path(c.dir(), CheckpointStore.WEIGHTS))) {
      model.loadWeights(in);
    }
    FiniteWeights.require(
        MaeWeights.stateDict(model.mae()), c.dir() + "/" + CheckpointStore.WEIGHTS);
    return new LoadedCheckpoint(c.dir(), state, settings, model);
  }

  private static int parseEpoch(String name, String uri) throws IOException {
    if (!name.matches("epoch-\\d{5,}")) {
      throw new IOException(uri + ": a checkpoint directory is named epoch-NNNNN");
    }
    return Integer.parseInt(name.substring("epoch-".length()));
  }
}
