package org.maespark.model;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.BaseNDArray;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Array memory of the training layer's gradient pass: an array the session releases (its last
 * consumer has run) goes back to a pool and serves the next request of the same type and shape, in
 * the same step or a later one; {@link #endStep} returns the arrays the session kept (outputs and
 * the few it never releases). The pool so settles at the step's peak of live arrays.
 *
 * <p>DL4J's own manager for SameDiff layers allocates in a workspace whose release is a no-op, so
 * its peak is the sum of every array of the step; SameDiff's {@code ArrayCacheMemoryMgr} leaves the
 * arrays it does not cache to the garbage collector, which lets detached memory pile up.
 */
final class StepMemory extends AbstractMemoryMgr {
  private final Map<String, ArrayDeque<INDArray>> free = new HashMap<>();
  private final Set<INDArray> inUse = Collections.newSetFromMap(new IdentityHashMap<>());

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
    return arr;
  }

  @Override
  public void release(INDArray arr) {
    // Arrays not from this pool (views, inputs) are not ours; a buffer still shared with another
    // array waits for endStep.
    if (inUse.contains(arr) && Nd4j.getExecutioner().useCount(arr.data()) <= 1) {
      inUse.remove(arr);
      giveBack(arr);
    }
  }

  /** Returns every array still handed out; call once the step's outputs have been copied. */
  void endStep() {
    for (INDArray arr : inUse) {
      giveBack(arr);
    }
    inUse.clear();
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
