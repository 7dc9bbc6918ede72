package org.maespark.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.maespark.conf.Settings;
import org.maespark.model.MaeConfig;
import org.maespark.model.MaeModel;
import org.maespark.model.MaeOptimizer;
import org.maespark.model.MaeWeights;
import org.maespark.model.Reconstruction;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The MAE (mae-model) as the driver sees it. */
public final class MaeTrainModel implements PretrainModel {
  private final MaeModel model;

  public MaeTrainModel(MaeModel model) {
    this.model = model;
  }

  /** A new MAE from {@code model.*} and the optimizer keys, initialised from {@code seed}. */
  public static MaeTrainModel create(Settings s, long seed) {
    MaeConfig c = MaeConfig.fromSettings(s);
    // the LR given here is replaced by the driver's schedule before the first step
    return new MaeTrainModel(MaeModel.create(c, seed, MaeOptimizer.fromSettings(s, 0.0)));
  }

  public MaeModel mae() {
    return model;
  }

  @Override
  public ComputationGraph graph() {
    return model.graph();
  }

  @Override
  public int imgSize() {
    return model.config().imgSize();
  }

  @Override
  public int patch() {
    return model.config().patch();
  }

  @Override
  public int channels() {
    return model.config().inChans();
  }

  @Override
  public int numPatches() {
    return model.config().numPatches();
  }

  @Override
  public boolean normPixLoss() {
    return model.config().normPixLoss();
  }

  @Override
  public void saveWeights(OutputStream out) throws IOException {
    MaeWeights.save(model, out);
  }

  @Override
  public void loadWeights(InputStream in) throws IOException {
    MaeWeights.load(model, in, "checkpoint");
  }

  @Override
  public double loss(INDArray imgs, INDArray noise) {
    return model.forward(imgs, noise).loss();
  }

  @Override
  public INDArray features(INDArray imgs) {
    return model.features(imgs);
  }

  @Override
  public Reconstruction reconstruct(INDArray imgs, INDArray noise) {
    return model.reconstruct(imgs, noise);
  }

  @Override
  public long paramCount() {
    return model.graph().numParams();
  }
}
