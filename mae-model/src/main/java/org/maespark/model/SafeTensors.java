package org.maespark.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * {@code name -> {dtype, shape, data_offsets}} (plus optional {@code __metadata__}), then the raw
 * little-endian tensor bytes. Scalars have shape {@code []}. Streams only, so any Hadoop filesystem
 * can be the source or sink, and tensor by tensor, so a file may be larger than any Java array (a
 * ViT-H/14 MAE checkpoint is ~2.6 GB).
 */
public final class SafeTensors {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_HEADER = 100L << 20;

  /** Bytes converted at a time between the stream and a tensor. */
  private static final int CHUNK = 1 << 20;

  /** The most elements one tensor may have: it is read through one Java array. */
  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private SafeTensors() {}

  /** A file's tensors (in header order) and metadata. */
  public record Contents(Map<String, INDArray> tensors, Map<String, String> metadata) {}

  /** Receives the tensors of a file one at a time, in the order of their bytes. */
  @FunctionalInterface
  public interface TensorSink {
    void accept(String name, INDArray tensor) throws IOException;
  }

  /** One header entry: where a tensor's bytes lie, relative to the end of the header. */
  private record Entry(String name, DataType type, long[] shape, long begin, long end) {}

  /** Reads a whole safetensors stream; {@code source} names it in errors. */
  public static Contents read(InputStream in, String source) throws IOException {
    Map<String, INDArray> byName = new java.util.HashMap<>();
    List<String> headerOrder = new ArrayList<>();
    Map<String, String> metadata = read(in, source, headerOrder, byName::put);
    Map<String, INDArray> tensors = new LinkedHashMap<>();
    headerOrder.forEach(name -> tensors.put(name, byName.get(name)));
    return new Contents(tensors, metadata);
  }

  /**
   * Reads a safetensors stream tensor by tensor: only one tensor's values are in memory at a time
   * (beside what {@code sink} keeps), so files of any size can be read. Returns the metadata.
   */
  public static Map<String, String> read(InputStream in, String source, TensorSink sink)
      throws IOException {
    return read(in, source, new ArrayList<>(), sink);
  }

  private static Map<String, String> read(
      InputStream in, String source, List<String> headerOrder, TensorSink sink) throws IOException {
    DataInputStream din = new DataInputStream(in);
    byte[] lenBytes = new byte[8];
    readFully(din, lenBytes, 0, 8, source, "header length");
    long headerLen = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLen <= 0 || headerLen > MAX_HEADER) {
      throw new IOException(
          source + ": header length " + headerLen + " is not in (0, " + MAX_HEADER + "]");
    }
    byte[] headerBytes = new byte[(int) headerLen];
    readFully(din, headerBytes, 0, headerBytes.length, source, "header");
    JsonNode header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
    Map<String, String> metadata = new TreeMap<>();
    List<Entry> entries = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) {
        e.getValue()
            .fields()
            .forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        continue;
      }
      entries.add(entry(e.getKey(), e.getValue(), source));
      headerOrder.add(e.getKey());
    }
    // The bytes are read front to back, so tensors come in the order of their offsets.
    entries.sort(Comparator.comparingLong(Entry::begin));
    long position = 0;
    byte[] chunk = new byte[CHUNK];
    for (Entry e : entries) {
      if (e.begin < position) {
        throw new IOException(
            source
                + ": tensor '"
                + e.name
                + "' starts at byte "
                + e.begin
                + ", inside the previous tensor (which ends at "
                + position
                + ")");
      }
      skipFully(din, e.begin - position, source, e.name);
      sink.accept(e.name, readTensor(din, e, chunk, source));
      position = e.end;
    }
    return metadata;
  }

  private static Entry entry(String name, JsonNode info, String source) throws IOException {
    DataType type = dataType(info.path("dtype").asText(), source, name);
    JsonNode shapeNode = info.path("shape");
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong();
    }
    long begin = info.path("data_offsets").path(0).asLong(-1);
    long end = info.path("data_offsets").path(1).asLong(-1);
    long want = type.width() * product(shape);
    if (begin < 0 || end - begin != want) {
      throw new IOException(
          source
              + ": tensor '"
              + name
              + "' has data_offsets ["
              + begin
              + ", "
              + end
              + "] but dtype "
              + info.path("dtype").asText()
              + " and shape "
              + Arrays.toString(shape)
              + " need "
              + want
              + " bytes");
    }
    if (product(shape) > MAX_ELEMENTS) {
      throw new IOException(
          source
              + ": tensor '"
              + name
              + "' has "
              + product(shape)
              + " elements; at most "
              + MAX_ELEMENTS
              + " fit one Java array");
    }
    return new Entry(name, type, shape, begin, end);
  }

  /** One tensor's bytes, converted chunk by chunk into a Java array of its type. */
  private static INDArray readTensor(DataInputStream in, Entry e, byte[] chunk, String source)
      throws IOException {
    int n = (int) product(e.shape);
    int width = e.type.width();
    ByteBuffer b = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    String what = "data of tensor '" + e.name + "'";
    INDArray flat =
        switch (e.type) {
          case FLOAT -> {
            float[] v = new float[n];
            for (int i = 0; i < n; ) {
              int k = Math.min(n - i, chunk.length / width);
              readFully(in, chunk, 0, k * width, source, what);
              b.rewind();
              b.asFloatBuffer().get(v, i, k);
              i += k;
            }
            yield Nd4j.createFromArray(v);
          }
          case DOUBLE -> {
            double[] v = new double[n];
            for (int i = 0; i < n; ) {
              int k = Math.min(n - i, chunk.length / width);
              readFully(in, chunk, 0, k * width, source, what);
              b.rewind();
              b.asDoubleBuffer().get(v, i, k);
              i += k;
            }
            yield Nd4j.createFromArray(v);
          }
          case LONG -> {
            long[] v = new long[n];
            for (int i = 0; i < n; ) {
              int k = Math.min(n - i, chunk.length / width);
              readFully(in, chunk, 0, k * width, source, what);
              b.rewind();
              b.asLongBuffer().get(v, i, k);
              i += k;
            }
            yield Nd4j.createFromArray(v);
          }
          case INT -> {
            int[] v = new int[n];
            for (int i = 0; i < n; ) {
              int k = Math.min(n - i, chunk.length / width);
              readFully(in, chunk, 0, k * width, source, what);
              b.rewind();
              b.asIntBuffer().get(v, i, k);
              i += k;
            }
            yield Nd4j.createFromArray(v);
          }
          default -> throw new IllegalArgumentException("unsupported dtype " + e.type);
        };
    if (e.shape.length == 0) {
      return Nd4j.scalar(e.type, flat.getDouble(0)); // shape [], one element
    }
    return flat.reshape('c', e.shape);
  }

  /**
   * Writes {@code tensors} sorted by name (as the reference writer does) with {@code metadata}: the
   * header, then each tensor's bytes in chunks, so no buffer holds more than one chunk.
   */
  public static void write(
      Map<String, INDArray> tensors, Map<String, String> metadata, OutputStream out)
      throws IOException {
    ObjectNode header = JSON.createObjectNode();
    Map<String, INDArray> sorted = new TreeMap<>(tensors);
    long offset = 0;
    for (Map.Entry<String, INDArray> e : sorted.entrySet()) {
      INDArray a = e.getValue();
      long bytes = a.dataType().width() * a.length();
      ObjectNode info = header.putObject(e.getKey());
      info.put("dtype", dtypeName(a.dataType(), e.getKey()));
      ArrayNode shape = info.putArray("shape");
      for (long d : a.shape()) {
        shape.add(d);
      }
      info.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      new TreeMap<>(metadata).forEach(meta::put);
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int pad = (int) ((8 - (8 + json.length) % 8) % 8); // data starts 8-byte aligned
    byte[] headerBytes = new byte[json.length + pad];
    System.arraycopy(json, 0, headerBytes, 0, json.length);
    Arrays.fill(headerBytes, json.length, headerBytes.length, (byte) ' ');
    out.write(
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).array());
    out.write(headerBytes);
    ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    for (INDArray a : sorted.values()) {
      writeTensor(a, chunk, out);
    }
    out.flush();
  }

  /** {@code a}'s values in C order, little-endian, one chunk at a time. */
  private static void writeTensor(INDArray a, ByteBuffer chunk, OutputStream out)
      throws IOException {
    // Element i of a dense C-order array sits at buffer offset i; anything else is copied once.
    boolean dense =
        a.ordering() == 'c'
            && a.offset() == 0
            && a.data().length() == a.length()
            && Shape.hasDefaultStridesForShape(a);
    INDArray c = dense ? a : a.dup('c');
    DataBuffer data = c.data();
    long n = a.length();
    int width = a.dataType().width();
    for (long i = 0; i < n; ) {
      int k = (int) Math.min(n - i, chunk.capacity() / width);
      chunk.clear();
      switch (a.dataType()) {
        case FLOAT -> chunk.asFloatBuffer().put(data.getFloatsAt(i, k));
        case DOUBLE -> chunk.asDoubleBuffer().put(data.getDoublesAt(i, k));
        case LONG -> chunk.asLongBuffer().put(data.getLongsAt(i, k));
        case INT -> chunk.asIntBuffer().put(data.getIntsAt(i, k));
        default -> throw new IllegalArgumentException("unsupported dtype " + a.dataType());
      }
      out.write(chunk.array(), 0, k * width);
      i += k;
    }
    if (c != a) {
      c.close(); // off-heap memory now, not at the next garbage collection
    }
  }

  private static DataType dataType(String name, String source, String key) throws IOException {
    return switch (name) {
      case "F32" -> DataType.FLOAT;
      case "F64" -> DataType.DOUBLE;
      case "I64" -> DataType.LONG;
      case "I32" -> DataType.INT;
      default ->
          throw new IOException(
              source
                  + ": tensor '"
                  + key
                  + "' has dtype "
                  + name
                  + "; expected F32, F64, I64 or I32");
    };
  }

  private static String dtypeName(DataType t, String key) {
    return switch (t) {
      case FLOAT -> "F32";
      case DOUBLE -> "F64";
      case LONG -> "I64";
      case INT -> "I32";
      default -> throw new IllegalArgumentException("tensor '" + key + "': unsupported dtype " + t);
    };
  }

  private static long product(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  private static void readFully(
      DataInputStream in, byte[] buf, int off, int len, String source, String what)
      throws IOException {
    try {
      in.readFully(buf, off, len);
    } catch (EOFException e) {
      throw new IOException(source + ": truncated while reading the " + what, e);
    }
  }

  private static void skipFully(InputStream in, long n, String source, String tensor)
      throws IOException {
    try {
      in.skipNBytes(n);
    } catch (EOFException e) {
      throw new IOException(source + ": truncated before the data of tensor '" + tensor + "'", e);
    }
  }
}
