package org.maespark.train;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.ObjIntConsumer;
import org.apache.spark.serializer.KryoRegistrator;
import org.nd4j.kryo.Nd4jRegistrator;
import org.nd4j.kryo.Nd4jSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's Kryo registrations, with INDArrays carried as their raw bytes in bulk.
 *
 * <p>Why: every parameter-averaging round sends the parameters and both AdamW moments to each
 * worker and back (3 x 4 bytes per parameter each way), and ND4J's own Kryo serializer writes and
 * reads them one element at a time through a {@code DataOutputStream} ({@code Nd4j.write}). A JFR
 * profile of {@code pretrain} on Spark local[2] averaging every step (fmnist-28) had a quarter of
 * the training tasks' Java samples in writing their results that way, the driver's result threads
 * almost entirely in reading them, and the driver's main thread 18% in writing the broadcast.
 *
 * <p>The format: the element type, shape and ordering, then the array's bytes in the machine's byte
 * order (a flag records it; a reader of the other order refuses). Arrays ND4J keeps compressed and
 * string arrays go through ND4J's serializer, marked so the reader knows. Values arrive bit for
 * bit.
 */
public final class NdArrayKryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    new Nd4jRegistrator().registerClasses(kryo);
    // registering a class again replaces its serializer
    kryo.register(Nd4j.getBackend().getNDArrayClass(), new BulkSerializer());
  }

  /** INDArrays as raw bytes (see the class comment). */
  static final class BulkSerializer extends Serializer<INDArray> {
    private static final byte BULK_LITTLE_ENDIAN = 1;
    private static final byte BULK_BIG_ENDIAN = 2;
    private static final byte ND4J = 3;
    private static final byte BULK_HERE =
        ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? BULK_LITTLE_ENDIAN : BULK_BIG_ENDIAN;
    private static final int CHUNK = 1 << 16;
    private final Nd4jSerializer nd4j = new Nd4jSerializer();

    @Override
    public void write(Kryo kryo, Output out, INDArray a) {
      if (a.isCompressed() || a.dataType() == DataType.UTF8) {
        out.writeByte(ND4J);
        nd4j.write(kryo, out, a);
        return;
      }
      out.writeByte(BULK_HERE);
      out.writeString(a.dataType().name());
      long[] shape = a.shape();
      out.writeInt(shape.length);
      for (long d : shape) {
        out.writeLong(d);
      }
      out.writeChar(a.ordering());
      long bytes = a.length() * a.dataType().width();
      out.writeLong(bytes);
      if (bytes == 0) {
        return;
      }
      // an array that is not its whole buffer in its own order (a slice, a transpose, an offset
      // into a larger buffer) is copied out first; a reshape of a whole buffer (what a graph's
      // params() returns) is written as it lies
      INDArray dense = whole(a) ? a : a.dup(a.ordering());
      ByteBuffer src = dense.data().asNio();
      chunked(
          bytes,
          (chunk, n) -> {
            src.get(chunk, 0, n);
            out.writeBytes(chunk, 0, n);
          });
      // the ByteBuffer does not hold the array: without this, a copy made above could be
      // collected, and its memory freed, while its bytes are still being read (a crash of the
      // driver's JVM in the broadcast, seen twice in 10 runs of the round benchmark)
      Reference.reachabilityFence(dense);
    }

    /** Whether the array's elements are exactly its buffer, in its ordering. */
    private static boolean whole(INDArray a) {
      return a.offset() == 0
          && a.data().offset() == 0
          && a.data().length() == a.length()
          && Shape.hasDefaultStridesForShape(a);
    }

    @Override
    public INDArray read(Kryo kryo, Input in, Class<INDArray> type) {
      byte format = in.readByte();
      if (format == ND4J) {
        return nd4j.read(kryo, in, type);
      }
      if (format != BULK_HERE) {
        throw new KryoException(
            "INDArray written "
                + (format == BULK_LITTLE_ENDIAN
                    ? "little-endian"
                    : format == BULK_BIG_ENDIAN ? "big-endian" : "in unknown format " + format)
                + " cannot be read on this "
                + ByteOrder.nativeOrder()
                + " machine: run the driver and executors on machines of one byte order");
      }
      DataType dtype = DataType.valueOf(in.readString());
      long[] shape = new long[in.readInt()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = in.readLong();
      }
      char order = in.readChar();
      long bytes = in.readLong();
      INDArray a;
      // outside any workspace the reading thread may have open: the array outlives it
      try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        a =
            shape.length == 0
                ? Nd4j.scalar(dtype, 0)
                : Nd4j.createUninitialized(dtype, shape, order);
      }
      if (bytes == 0) {
        return a;
      }
      ByteBuffer dst = a.data().asNio();
      chunked(
          bytes,
          (chunk, n) -> {
            in.readBytes(chunk, 0, n);
            dst.put(chunk, 0, n);
          });
      return a;
    }

    /** Moves {@code bytes} through one reused chunk; {@code step} gets the chunk and its fill. */
    private static void chunked(long bytes, ObjIntConsumer<byte[]> step) {
      byte[] chunk = new byte[(int) Math.min(CHUNK, bytes)];
      for (long done = 0; done < bytes; ) {
        int n = (int) Math.min(chunk.length, bytes - done);
        step.accept(chunk, n);
        done += n;
      }
    }
  }
}
