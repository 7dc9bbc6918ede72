package org.maespark.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.maespark.checkpoint.CheckpointState;
import org.maespark.checkpoint.CheckpointStore;
import org.maespark.checkpoint.Versions;
import org.maespark.checkpoint.WeightsFile;
import org.maespark.checkpoint.WeightsImporter;
import org.maespark.command.GlobalOptions;
import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;
import org.maespark.input.DatasetInfo;
import org.maespark.input.Normalize;
import org.maespark.model.MaeModel;
import org.maespark.model.MaeWeights;
import org.maespark.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code import}: a safetensors file trained elsewhere (official / timm names, Hugging Face ViTMAE
 * names, or an encoder alone) -> a complete checkpoint {@code OUTPUT/epoch-00000} that {@code
 * evaluate}, {@code inspect}, {@code export} and {@code pretrain --init-from} read.
 */
@Command(
    name = "import",
    description = "Turn a safetensors file (official, timm or Hugging Face MAE) into a checkpoint.")
final class ImportCommand implements Callable<Integer> {
  @Mixin GlobalOptions options;

  @Option(names = "--weights", required = true, description = "safetensors file (any Hadoop URI).")
  String weights;

  @Option(names = "--output", required = true, description = "Checkpoint root to create.")
  String output;

  @Option(
      names = "--dataset",
      description = "data-prep output the weights will be evaluated on (normalisation, default).")
  String dataset;

  @Override
  public Integer call() throws Exception {
    Settings s = options.settings();
    Configuration hc = new Configuration();
    CheckpointStore store = CheckpointStore.open(output, hc);
    if (store.newestComplete().isPresent()) {
      throw new ConfigException(output + " already holds checkpoints; import into a new directory");
    }
    long seed = TrainConfig.fromSettings(s).seed();
    WeightsFile file = WeightsFile.read(weights, hc);
    WeightsImporter.Imported im = WeightsImporter.resolve(file.contents(), s, seed, weights);
    Settings resolved = im.settings();
    PretrainCommand.resolveKnownKeys(resolved);
    MaeModel model = MaeModel.create(im.config(), seed);
    MaeWeights.apply(model, im.stateDict(), weights); // every key and shape checked here
    DatasetInfo data = dataset == null ? null : DatasetInfo.read(dataset, hc);
    if (data != null) {
      data.checkFits(im.config().imgSize(), im.config().patch(), im.config().inChans());
    }
    double[][] norm = normalization(resolved, data, file, im.config().inChans());
    Map<String, Object> metrics = new LinkedHashMap<>();
    CheckpointState state =
        new CheckpointState(
            CheckpointState.FORMAT_VERSION,
            0,
            0,
            0,
            0.0,
            seed,
            resolved.toPropertiesText(),
            data == null ? null : data.digest(),
            data == null ? null : data.uri(),
            norm[0],
            norm[1],
            metrics,
            Versions.current(),
            im.origin(weights, file.sha256(), seed));
    Map<String, CheckpointStore.FileWriter> files = new LinkedHashMap<>();
    files.put(CheckpointStore.WEIGHTS, out -> MaeWeights.save(model, out));
    files.put(CheckpointStore.STATE, out -> out.write(state.toJson()));
    CheckpointStore.Checkpoint c = store.write(0, files);
    System.out.printf(
        "import: %s (%s names%s) -> %s, model %s%n",
        weights,
        state.origin().get("key_names"),
        im.encoderOnly() ? ", encoder only: decoder initialised" : "",
        c.dir(),
        im.config());
    return 0;
  }

  /**
   * The normalisation evaluation and inspect will use: the dataset's (as {@code train.normalize}
   * says), else the mean/std a reference run stored in the file's metadata, else ImageNet's.
   */
  private static double[][] normalization(
      Settings s, DatasetInfo data, WeightsFile file, int channels) {
    Normalize mode = s.getEnum("train.normalize", Normalize.MANIFEST, Normalize.class);
    if (data != null) {
      return data.normalization(mode);
    }
    Map<String, String> meta = file.contents().metadata();
    if (mode == Normalize.MANIFEST
        && meta.containsKey("data_mean")
        && meta.containsKey("data_std")) {
      double[] m = new double[channels];
      double[] sd = new double[channels];
      java.util.Arrays.fill(m, Double.parseDouble(meta.get("data_mean")));
      java.util.Arrays.fill(sd, Double.parseDouble(meta.get("data_std")));
      return new double[][] {m, sd};
    }
    return DatasetInfo.imagenetNormalization(channels);
  }
}
