package org.maespark.cli;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.maespark.checkpoint.LoadedCheckpoint;
import org.maespark.command.GlobalOptions;
import org.maespark.eval.ReconPicture;
import org.maespark.input.ImageInput;
import org.maespark.input.Seeds;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code inspect}: a checkpoint's summary, and a reconstruction picture of given images. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = "Print a checkpoint's summary; with --images, write their reconstructions.")
final class InspectCommand implements Callable<Integer> {
  @Mixin GlobalOptions options;

  @Parameters(index = "0", description = "Checkpoint directory or checkpoint root.")
  String checkpoint;

  @Option(names = "--images", split = ",", description = "Image files (PNG/JPEG) to reconstruct.")
  List<Path> images = List.of();

  @Option(names = "--out", defaultValue = "recon.png", description = "Where the picture goes.")
  Path out;

  @Option(names = "--mask-seed", defaultValue = "1234", description = "Seed of the masks.")
  long maskSeed;

  @Override
  public Integer call() throws Exception {
    options.requireNoConfig("inspect");
    LoadedCheckpoint ck = LoadedCheckpoint.open(checkpoint, new Configuration());
    var st = ck.state();
    System.out.printf(
        "checkpoint %s%n  epoch %d, step %d, lr %.4e, seed %d%n  dataset %s (%s)%n"
            + "  model: %d trainable parameters, img %d, patch %d, %d channels, norm-pix %s%n"
            + "  metrics: %s%n  versions: %s%n  configuration:%n%s",
        ck.dir(),
        st.epoch(),
        st.globalStep(),
        st.lr(),
        st.seed(),
        st.datasetUri(),
        st.datasetDigest(),
        ck.model().paramCount(),
        ck.model().imgSize(),
        ck.model().patch(),
        ck.model().channels(),
        ck.model().normPixLoss(),
        st.metrics(),
        st.versions(),
        st.config().indent(4));
    if (!images.isEmpty()) {
      INDArray x = load(ck, st.normMean(), st.normStd()); // [N, C, H, W]
      float[][] noise = new float[images.size()][ck.model().numPatches()];
      for (int i = 0; i < noise.length; i++) {
        var rng = Seeds.rng(maskSeed, Seeds.EVAL_MASK, i);
        for (int j = 0; j < noise[i].length; j++) {
          noise[i][j] = (float) rng.nextDouble();
        }
      }
      var r = ck.model().reconstruct(x, Nd4j.createFromArray(noise));
      try (OutputStream o = Files.newOutputStream(out)) {
        ReconPicture.writePng(ReconPicture.render(x, r, st.normMean(), st.normStd()), o);
      }
      System.out.println("  reconstructions of " + images.size() + " images: " + out);
    }
    return 0;
  }

  /** Images -> model input by data-prep's pipeline, normalised as training and evaluation do. */
  private INDArray load(LoadedCheckpoint ck, double[] mean, double[] std) throws Exception {
    var m = ck.model();
    ImageInput input =
        new ImageInput(m.imgSize(), m.patch(), m.channels(), m.numPatches(), mean, std);
    float[][] rows = new float[images.size()][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = input.normalised(images.get(i));
    }
    return Nd4j.createFromArray(rows)
        .reshape('c', rows.length, m.channels(), m.imgSize(), m.imgSize());
  }
}
