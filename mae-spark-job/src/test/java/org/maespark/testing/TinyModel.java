package org.maespark.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.maespark.model.Reconstruction;
import org.maespark.train.PretrainModel;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A small real DL4J graph with the MAE's input/label contract ({@code imgs [N, C*H*W]}, {@code
 * noise [N, L]}) for testing the driver's mechanics fast: a dense encoder and a sigmoid head
 * regressing the masking noise. Not an MAE; the MAE's own driver tests use the real model.
 */
public final class TinyModel implements PretrainModel {
  private final ComputationGraph graph;
  private final int size;
  private final int patch;

  public TinyModel(long seed, int size, int patch, IUpdater updater, Activation activation) {
    this.size = size;
    this.patch = patch;
    int l = numPatches();
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(seed)
            .updater(updater)
            .weightInit(WeightInit.XAVIER)
            .graphBuilder()
            .addInputs("imgs")
            .addLayer(
                "enc",
                new DenseLayer.Builder()
                    .nIn(size * size)
                    .nOut(8)
                    .activation(Activation.TANH)
                    .build(),
                "imgs")
            .addLayer(
                "head",
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                    .nIn(8)
                    .nOut(l)
                    .activation(activation == Activation.TANH ? Activation.SIGMOID : activation)
                    .build(),
                "enc")
            .setOutputs("head")
            .build();
    graph = new ComputationGraph(conf);
    graph.init();
  }

  public TinyModel(long seed, int size, int patch) {
    this(seed, size, patch, new Adam(1e-3, 0.9, 0.95, 1e-8), Activation.TANH);
  }

  @Override
  public ComputationGraph graph() {
    return graph;
  }

  @Override
  public int imgSize() {
    return size;
  }

  @Override
  public int patch() {
    return patch;
  }

  @Override
  public int channels() {
    return 1;
  }

  @Override
  public int numPatches() {
    return (size / patch) * (size / patch);
  }

  @Override
  public boolean normPixLoss() {
    return false;
  }

  @Override
  public void saveWeights(OutputStream out) throws IOException {
    Nd4j.write(out, graph.params());
  }

  @Override
  public void loadWeights(InputStream in) throws IOException {
    graph.setParams(Nd4j.read(in));
  }

  @Override
  public double loss(INDArray imgs, INDArray noise) {
    return graph.score(new MultiDataSet(imgs, noise), false);
  }

  @Override
  public INDArray features(INDArray imgs) {
    return graph.feedForward(imgs, false).get("enc");
  }

  @Override
  public Reconstruction reconstruct(INDArray imgs, INDArray noise) {
    INDArray x = imgs.reshape(imgs.size(0), 1, size, size);
    return new Reconstruction(x.dup(), x.dup(), x.dup());
  }

  @Override
  public long paramCount() {
    return graph.numParams();
  }
}
