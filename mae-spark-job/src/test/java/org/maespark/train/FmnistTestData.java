package org.maespark.train;

import java.nio.file.Path;

/** Public door for tests in other packages to the Fashion-MNIST sample dataset. */
public final class FmnistTestData {
  private FmnistTestData() {}

  /** Writes the sample dataset (data-prep layout, patch 4) with the shared test session. */
  public static String write(Path out, int perClassTrain, int perClassVal) throws Exception {
    return FmnistSample.write(SparkTestSession.get(), out, perClassTrain, perClassVal, 4);
  }

  public static Path root() {
    return FmnistSample.root();
  }
}
