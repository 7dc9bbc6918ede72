package org.maespark.testing;

import java.nio.file.Path;
import java.util.List;

/** Public door for tests in other packages to the Fashion-MNIST sample dataset. */
public final class FmnistTestData {
  private FmnistTestData() {}

  /**
   * Overrides for the MAE the driver tests train on the sample: the fmnist-28 preset shrunk to
   * patch 7 (16 tokens), width 32 and one encoder and decoder block, so an epoch takes seconds.
   */
  public static final List<String> TINY_MAE =
      List.of(
          "model.preset=fmnist-28",
          "model.patch=7",
          "model.embed_dim=32",
          "model.depth=1",
          "model.heads=2",
          "model.decoder_embed_dim=32",
          "model.decoder_depth=1",
          "model.decoder_heads=2");

  /** Writes the sample dataset (data-prep layout, patch 4) with the shared test session. */
  public static String write(Path out, int perClassTrain, int perClassVal) throws Exception {
    return FmnistSample.write(SparkTestSession.get(), out, perClassTrain, perClassVal, 4);
  }

  public static Path root() {
    return FmnistSample.root();
  }
}
