package org.maespark.train;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Puts an LR schedule on every updater of a graph. DL4J's own {@code
 * ComputationGraph.setLearningRate(ISchedule)} only reaches {@code BaseLayer}s and silently skips
 * SameDiff layers and vertices, which is what the MAE is made of; this walks all three, in the
 * configuration the training master broadcasts and in the live layers the driver holds.
 */
public final class LrInstaller {
  private LrInstaller() {}

  /** Installs {@code schedule}; returns how many updater configs now carry it. */
  public static int install(ComputationGraph graph, ISchedule schedule) {
    List<IUpdater> updaters = new ArrayList<>();
    for (GraphVertex v : graph.getConfiguration().getVertices().values()) {
      if (v instanceof LayerVertex lv) {
        collect(lv.getLayerConf().getLayer(), updaters);
      } else if (v instanceof SameDiffVertex sv) {
        add(sv.getUpdater(), updaters);
      }
    }
    if (graph.getLayers() != null) {
      for (org.deeplearning4j.nn.api.Layer l : graph.getLayers()) {
        collect(l.conf().getLayer(), updaters);
      }
    }
    int n = 0;
    for (IUpdater u : updaters) {
      if (u.hasLearningRate()) {
        u.setLrAndSchedule(Double.NaN, schedule);
        n++;
      }
    }
    if (n == 0) {
      throw new IllegalStateException("graph has no updater with a learning rate to schedule");
    }
    // Rebuild the updater blocks from the changed configs, keeping the optimizer state.
    if (graph.getUpdater() != null) {
      INDArray state = graph.getUpdater().getStateViewArray();
      INDArray copy = state == null ? null : state.dup();
      graph.setUpdater(null);
      if (copy != null) {
        graph.getUpdater().setStateViewArray(copy);
      }
    }
    return n;
  }

  private static void collect(Layer layer, List<IUpdater> out) {
    if (layer instanceof BaseLayer bl) {
      add(bl.getIUpdater(), out);
      add(bl.getBiasUpdater(), out);
    } else if (layer instanceof AbstractSameDiffLayer sl) {
      add(sl.getUpdater(), out);
      add(sl.getBiasUpdater(), out);
    }
  }

  private static void add(IUpdater u, List<IUpdater> out) {
    if (u != null && out.stream().noneMatch(x -> x == u)) {
      out.add(u);
    }
  }
}
