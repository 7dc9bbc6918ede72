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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * {@code name -> {dtype, shape, data_offsets}} (plus optional {@code __metadata__}), then the raw
 * little-endian tensor bytes. Scalars have shape {@code []}. Streams only, so any Hadoop filesystem
 * can be the source or sink.
 */
public final class SafeTensors {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_HEADER = 100L << 20;

  private SafeTensors() {}

  /** A file's tensors (in header order) and metadata. */
  public record Contents(Map<String, INDArray> tensors, Map<String, String> metadata) {}

  /** Reads a whole safetensors stream; {@code source} names it in errors. */
  public static Contents read(InputStream in, String source) throws IOException {
    DataInputStream din = new DataInputStream(in);
    byte[] lenBytes = new byte[8];
    readFully(din, lenBytes, source, "header length");
    long headerLen = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLen <= 0 || headerLen > MAX_HEADER) {
      throw new IOException(
          source + ": header length " + headerLen + " is not in (0, " + MAX_HEADER + "]");
    }
    byte[] headerBytes = new byte[(int) headerLen];
    readFully(din, headerBytes, source, "header");
    JsonNode header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
    Map<String, String> metadata = new TreeMap<>();
    record Entry(String name, DataType type, long[] shape, long begin, long end) {}
    java.util.List<Entry> entries = new java.util.ArrayList<>();
    long dataLen = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) {
        e.getValue()
            .fields()
            .forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        continue;
      }
      JsonNode info = e.getValue();
      DataType type = dataType(info.path("dtype").asText(), source, e.getKey());
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
                + e.getKey()
                + "' has data_offsets ["
                + begin
                + ", "
                + end
                + "] but dtype "
                + info.path("dtype").asText()
                + " and shape "
                + java.util.Arrays.toString(shape)
                + " need "
                + want
                + " bytes");
      }
      entries.add(new Entry(e.getKey(), type, shape, begin, end));
      dataLen = Math.max(dataLen, end);
    }
    if (dataLen > Integer.MAX_VALUE - 8) {
      throw new IOException(source + ": tensor data of " + dataLen + " bytes is over 2 GiB");
    }
    byte[] data = new byte[(int) dataLen];
    readFully(din, data, source, "tensor data");
    Map<String, INDArray> tensors = new LinkedHashMap<>();
    for (Entry e : entries) {
      ByteBuffer b =
          ByteBuffer.wrap(data, (int) e.begin, (int) (e.end - e.begin))
              .order(ByteOrder.LITTLE_ENDIAN);
      tensors.put(e.name, toArray(b, e.type, e.shape));
    }
    return new Contents(tensors, metadata);
  }

  /** Writes {@code tensors} sorted by name (as the reference writer does) with {@code metadata}. */
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
    java.util.Arrays.fill(headerBytes, json.length, headerBytes.length, (byte) ' ');
    out.write(
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).array());
    out.write(headerBytes);
    for (INDArray a : sorted.values()) {
      out.write(toBytes(a));
    }
    out.flush();
  }

  private static INDArray toArray(ByteBuffer b, DataType type, long[] shape) {
    int n = (int) product(shape);
    INDArray flat =
        switch (type) {
          case FLOAT -> {
            float[] v = new float[n];
            b.asFloatBuffer().get(v);
            yield Nd4j.createFromArray(v);
          }
          case DOUBLE -> {
            double[] v = new double[n];
            b.asDoubleBuffer().get(v);
            yield Nd4j.createFromArray(v);
          }
          case LONG -> {
            long[] v = new long[n];
            b.asLongBuffer().get(v);
            yield Nd4j.createFromArray(v);
          }
          case INT -> {
            int[] v = new int[n];
            b.asIntBuffer().get(v);
            yield Nd4j.createFromArray(v);
          }
          default -> throw new IllegalArgumentException("unsupported dtype " + type);
        };
    if (shape.length == 0) {
      return Nd4j.scalar(type, flat.getDouble(0)); // shape [], one element
    }
    return flat.reshape('c', shape);
  }

  private static byte[] toBytes(INDArray a) {
    INDArray c = a.dup('c');
    int n = (int) c.length();
    ByteBuffer b =
        ByteBuffer.allocate((int) (n * a.dataType().width())).order(ByteOrder.LITTLE_ENDIAN);
    switch (a.dataType()) {
      case FLOAT -> b.asFloatBuffer().put(c.data().asFloat(), 0, n);
      case DOUBLE -> b.asDoubleBuffer().put(c.data().asDouble(), 0, n);
      case LONG -> b.asLongBuffer().put(c.data().asLong(), 0, n);
      case INT -> b.asIntBuffer().put(c.data().asInt(), 0, n);
      default -> throw new IllegalArgumentException("unsupported dtype " + a.dataType());
    }
    return b.array();
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

  private static void readFully(DataInputStream in, byte[] buf, String source, String what)
      throws IOException {
    try {
      in.readFully(buf);
    } catch (EOFException e) {
      throw new IOException(source + ": truncated while reading the " + what, e);
    }
  }
}
