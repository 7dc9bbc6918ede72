package org.maespark.checkpoint;

import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Weights with a NaN or an infinity are never loaded or written: they come from a diverged run or a
 * damaged file, and a model built on them only fails later and further from the cause.
 */
public final class FiniteWeights {
  private FiniteWeights() {}

  /** Refuses {@code tensors} (name -> array) if one holds a non-finite value, naming it. */
  public static void require(Map<String, INDArray> tensors, String where) {
    for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
      float[] v = e.getValue().castTo(DataType.FLOAT).dup().data().asFloat();
      int bad = 0;
      int first = -1;
      for (int i = 0; i < v.length; i++) {
        if (!Float.isFinite(v[i])) {
          bad++;
          first = first < 0 ? i : first;
        }
      }
      if (bad > 0) {
        throw new IllegalArgumentException(
            where
                + ": tensor '"
                + e.getKey()
                + "' holds "
                + bad
                + " non-finite values (first: "
                + v[first]
                + " at flat index "
                + first
                + ")");
      }
    }
  }
}
