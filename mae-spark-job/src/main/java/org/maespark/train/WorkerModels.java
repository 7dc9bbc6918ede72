package org.maespark.train;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The graphs an executor JVM trains with, kept across rounds and epochs: one per concurrently
 * running task, keyed by the graph's configuration (without its step and epoch counters).
 *
 * <p>Why: DL4J's parameter-averaging worker builds a new graph for every averaging round (and
 * SameDiff then rebuilds each layer's function and gradient function on the first step), and the
 * old graph's native arrays wait for the garbage collector: seconds per round and gigabytes of
 * resident memory. Here a round takes a graph from the pool, has the round's parameters, optimizer
 * state and step counters assigned into it in place, and gives it back when its result is built.
 * What a round computes is unchanged: a graph's state is exactly its parameters, its updater state
 * and its configuration's iteration and epoch counts, all of which come from the broadcast.
 */
final class WorkerModels {
  private static final Map<String, ConcurrentLinkedDeque<ComputationGraph>> FREE =
      new ConcurrentHashMap<>();

  private WorkerModels() {}

  /** A graph holding exactly the broadcast's state, taken from the pool or built once. */
  static ComputationGraph take(String key, NetBroadcastTuple round) {
    ComputationGraphConfiguration conf = round.getGraphConfiguration();
    ComputationGraph g = FREE.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).pollFirst();
    if (g == null) {
      g = new ComputationGraph(conf.clone());
      g.init(round.getParameters().dup(), false);
      g.setUpdater(new ComputationGraphUpdater(g, round.getUpdaterState().dup()));
    } else {
      g.params().assign(round.getParameters());
      g.getUpdater().getStateViewArray().assign(round.getUpdaterState());
    }
    // the driver's step and epoch: the LR schedule and Adam's bias correction read them
    g.getConfiguration().setIterationCount(conf.getIterationCount());
    g.getConfiguration().setEpochCount(conf.getEpochCount());
    Nd4j.getExecutioner().commit();
    return g;
  }

  /** Returns a graph whose round is over (its result no longer reads its arrays). */
  static void give(String key, ComputationGraph g) {
    FREE.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).addFirst(g);
  }

  /** The pool key: the configuration with its counters zeroed, as JSON. */
  static String key(ComputationGraphConfiguration conf) {
    ComputationGraphConfiguration c = conf.clone();
    c.setIterationCount(0);
    c.setEpochCount(0);
    return c.toJson();
  }
}
