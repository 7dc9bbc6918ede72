package org.maespark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafeTensorsLargeFileIT {

  @TempDir Path tmp;

  /**
   * A file over 2 GiB (the size of a ViT-H/14 MAE checkpoint is ~2.6 GB) written and read back
   * tensor by tensor: 33 tensors of 64 MiB, all views of one array so the test holds ~64 MiB, then
   * a small last tensor whose bytes start past 2^31.
   */
  @Test
  void filesOverTwoGibibytesStreamBothWays() throws Exception {
    int side = 4096; // 4096 x 4096 float32 = 64 MiB; values 0 .. 2^24 - 1 are exact in float32
    float[] values = new float[side * side];
    for (int i = 0; i < values.length; i++) {
      values[i] = i;
    }
    INDArray block = Nd4j.createFromArray(values).reshape(side, side);
    values = null;
    int blocks = 33;
    Map<String, INDArray> tensors = new LinkedHashMap<>();
    for (int b = 0; b < blocks; b++) {
      tensors.put(String.format("block.%02d", b), block);
    }
    tensors.put("tail", Nd4j.createFromArray(-1f, -2f, -3f));
    long blockBytes = 4L * side * side;
    long dataBytes = blocks * blockBytes + 12;
    assertTrue(dataBytes > (2L << 30), "the test must cross 2 GiB");

    Path file = tmp.resolve("large.safetensors");
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
        SafeTensors.write(tensors, Map.of("producer", "test"), out);
      }
      long headerLen;
      JsonNode header;
      try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
        byte[] len = new byte[8];
        in.readFully(len);
        headerLen = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] json = new byte[(int) headerLen];
        in.readFully(json);
        header = new ObjectMapper().readTree(json);
      }
      assertEquals(8 + headerLen + dataBytes, Files.size(file));
      assertEquals(blocks * blockBytes, header.get("tail").get("data_offsets").get(0).asLong());
      assertEquals("[4096,4096]", header.get("block.32").get("shape").toString());
      assertEquals("test", header.get("__metadata__").get("producer").asText());

      List<String> order = new ArrayList<>();
      Map<String, String> metadata;
      try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
        metadata =
            SafeTensors.read(
                in,
                file.toString(),
                (name, t) -> {
                  order.add(name);
                  if (name.equals("tail")) {
                    assertArrayEquals(new float[] {-1, -2, -3}, t.toFloatVector());
                  } else {
                    assertArrayEquals(new long[] {side, side}, t.shape(), name);
                    assertEquals(0f, t.getFloat(0, 0), name);
                    assertEquals(side * 1234 + 567f, t.getFloat(1234, 567), name);
                    assertEquals(side * side - 1f, t.getFloat(side - 1, side - 1), name);
                  }
                  t.close();
                });
      }
      assertEquals(blocks + 1, order.size());
      assertEquals("block.00", order.get(0));
      assertEquals("tail", order.get(blocks));
      assertEquals(Map.of("producer", "test"), metadata);
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
