package org.maespark.model;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.BaseNDArray;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Array memory of the training layer's gradient and score passes: once every op that reads an array
 * has run ({@link #listener} counts them), the array goes back to a pool and serves the next
 * request of the same type and shape, in the same pass or a later one; {@link #endStep} returns the
 * arrays still out (the requested outputs). The pool so settles at the sum of the per-shape peaks
 * of live arrays. One instance per thread, as SameDiff's sessions.
 *
 * <p>DL4J's own manager for SameDiff layers allocates in a workspace whose release is a no-op, so
 * its peak is the sum of every array of the pass, and SameDiff M2.1 switches its own release off in
 * gradient passes ({@code setEnableCache(false)} in {@code calculateGradientsAndOutputs}).
 */
final class StepMemory extends AbstractMemoryMgr {
  private final Map<String, ArrayDeque<INDArray>> free = new HashMap<>();
  private final Set<INDArray> inUse = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Map<DataBuffer, INDArray> owners = new IdentityHashMap<>();
  private long step;

  @Override
  public INDArray allocate(boolean detached, DataType dataType, long... shape) {
    return take(dataType, 'c', shape);
  }

  @Override
  public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
    if (descriptor.isEmpty()) {
      return Nd4j.create(descriptor).detach(); // no buffer to reuse
    }
    return take(descriptor.dataType(), descriptor.getOrder(), descriptor.getShape());
  }

  private INDArray take(DataType dataType, char order, long[] shape) {
    ArrayDeque<INDArray> pool = free.get(key(dataType, order, shape));
    INDArray arr = pool == null ? null : pool.poll();
    if (arr == null) {
      arr = Nd4j.createUninitializedDetached(dataType, order, shape);
    } else {
      // the session tracks arrays by id: a reused array must look new to it
      ((BaseNDArray) arr).assignNewId();
    }
    inUse.add(arr);
    owners.put(root(arr), arr);
    return arr;
  }

  /**
   * The session's own release: ignored. SameDiff M2.1's dependency tracking releases almost nothing
   * of a gradient pass, and an array it names may already be back in the pool and reused; the
   * {@link #listener} decides instead.
   */
  @Override
  public void release(INDArray arr) {}

  /** Returns the array that owns {@code buffer} to the pool, if it is one of ours in use. */
  private void free(DataBuffer buffer) {
    INDArray arr = owners.remove(buffer);
    if (arr != null) {
      inUse.remove(arr);
      giveBack(arr);
    }
  }

  private static DataBuffer root(INDArray arr) {
    DataBuffer b = arr.data();
    return b.originalDataBuffer() != null ? b.originalDataBuffer() : b;
  }

  /**
   * A listener for {@code fn} that frees each array once every op that reads it has run. Arrays are
   * counted by buffer, so a view keeps its base alive; {@code keep} (the requested outputs) stay
   * until {@link #endStep}.
   */
  Listener listener(SameDiff fn, Set<String> keep) {
    Map<String, Integer> readers = new HashMap<>();
    for (Variable v : fn.getVariables().values()) {
      List<String> ops = v.getInputsForOp();
      readers.put(v.getName(), ops == null ? 0 : new HashSet<>(ops).size());
    }
    return new BaseListener() {
      private final Map<String, Integer> left = new HashMap<>();
      private final Map<String, DataBuffer> bufferOf = new HashMap<>();
      private final Map<DataBuffer, Integer> holders = new IdentityHashMap<>();
      private long seenStep = -1;

      @Override
      public boolean isActive(Operation operation) {
        return true;
      }

      @Override
      public void opExecution(
          SameDiff sd,
          At at,
          MultiDataSet batch,
          SameDiffOp op,
          OpContext opContext,
          INDArray[] outputs) {
        if (sd != fn) {
          return; // SameDiff hands a function's listeners to its gradient function too
        }
        if (seenStep != step) {
          left.clear();
          bufferOf.clear();
          holders.clear();
          seenStep = step;
        }
        List<String> outNames = op.getOutputsOfOp();
        for (int i = 0; i < outputs.length && i < outNames.size(); i++) {
          String name = outNames.get(i);
          if (outputs[i] == null || outputs[i].isEmpty() || keep.contains(name)) {
            continue;
          }
          DataBuffer b = root(outputs[i]);
          if (!owners.containsKey(b)) {
            continue; // not pool memory: a parameter, constant or input (or a view of one)
          }
          int n = readers.getOrDefault(name, 0);
          bufferOf.put(name, b);
          left.put(name, n);
          holders.merge(b, 1, Integer::sum);
          if (n == 0) {
            drop(name);
          }
        }
        List<String> inNames = op.getInputsToOp();
        if (inNames != null) {
          for (String name : new HashSet<>(inNames)) {
            Integer n = left.get(name);
            if (n != null) {
              left.put(name, n - 1);
              if (n - 1 == 0) {
                drop(name);
              }
            }
          }
        }
      }

      private void drop(String name) {
        left.remove(name);
        DataBuffer b = bufferOf.remove(name);
        if (holders.merge(b, -1, Integer::sum) == 0) {
          holders.remove(b);
          free(b);
        }
      }
    };
  }

  /** Returns every array still handed out; call once the step's outputs have been copied. */
  void endStep() {
    for (INDArray arr : inUse) {
      giveBack(arr);
    }
    inUse.clear();
    owners.clear();
    step++;
  }

  private void giveBack(INDArray arr) {
    free.computeIfAbsent(key(arr.dataType(), arr.ordering(), arr.shape()), k -> new ArrayDeque<>())
        .add(arr);
  }

  private static String key(DataType dataType, char order, long[] shape) {
    return dataType + "/" + order + Arrays.toString(shape);
  }

  @Override
  public void close() {
    endStep();
    for (ArrayDeque<INDArray> pool : free.values()) {
      for (INDArray arr : pool) {
        if (arr.closeable()) {
          arr.close();
        }
      }
    }
    free.clear();
  }
}
