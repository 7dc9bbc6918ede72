package org.maespark.model.bench;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/** Wall time per SameDiff op type, to find where a training step goes. */
final class OpTimeProfiler extends BaseListener {
  private final Map<String, long[]> byOp = new HashMap<>(); // op -> {nanos, count}
  private long start;

  @Override
  public boolean isActive(Operation operation) {
    return true;
  }

  @Override
  public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext ctx) {
    start = System.nanoTime();
  }

  @Override
  public void opExecution(
      SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx, INDArray[] outputs) {
    long[] t = byOp.computeIfAbsent(op.getOp().opName(), k -> new long[2]);
    t[0] += System.nanoTime() - start;
    t[1]++;
  }

  /** The top {@code n} ops by time, with their share of all op time, over {@code steps} steps. */
  String report(int n, int steps) {
    long total = byOp.values().stream().mapToLong(v -> v[0]).sum();
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            "PROFILE op time per step %.3f s over %d ops%n",
            total / 1e9 / steps, byOp.values().stream().mapToLong(v -> v[1]).sum() / steps));
    byOp.entrySet().stream()
        .sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
        .limit(n)
        .forEach(
            e ->
                b.append(
                    String.format(
                        "PROFILE %-28s %6.1f%% %8.4f s/step %6d calls/step%n",
                        e.getKey(),
                        100.0 * e.getValue()[0] / total,
                        e.getValue()[0] / 1e9 / steps,
                        e.getValue()[1] / steps)));
    return b.toString();
  }
}
