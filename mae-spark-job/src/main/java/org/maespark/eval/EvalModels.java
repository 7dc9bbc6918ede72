package org.maespark.eval;

import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.spark.broadcast.Broadcast;
import org.maespark.model.MaeModel;

/**
 * The MAEs an executor JVM evaluates with: built once per broadcast of weights and shared by the
 * evaluation's tasks one at a time (each task takes one and gives it back when it ends), instead of
 * one build per task. An evaluation runs several jobs on the same broadcast (validation loss,
 * validation features, training features), and a split of many partitions runs many tasks per
 * executor. The models of one evaluation stay in the JVM until the next evaluation's weights
 * arrive.
 */
final class EvalModels {
  private static long weightsId = -1;
  private static final Deque<MaeModel> FREE = new ArrayDeque<>();

  private EvalModels() {}

  /** A model holding {@code weights}: a free one of this broadcast, or a new one. */
  static MaeModel take(Broadcast<byte[]> weights) {
    synchronized (EvalModels.class) {
      if (weights.id() != weightsId) {
        FREE.clear(); // an earlier evaluation's models: the garbage collector frees them
        weightsId = weights.id();
      }
      MaeModel m = FREE.pollFirst();
      if (m != null) {
        return m;
      }
    }
    return ExecutorEval.model(weights.value()); // built outside the lock: tasks build in parallel
  }

  /** Gives back a model of broadcast {@code id} whose task has ended. */
  static synchronized void give(long id, MaeModel m) {
    if (id == weightsId) {
      FREE.addFirst(m);
    }
  }

  /** Free models held now (tests). */
  static synchronized int free() {
    return FREE.size();
  }
}
