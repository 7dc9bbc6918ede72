package org.maespark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The SIMD loops (and attention's) give the same bits whether the JIT has compiled them or they
 * still run interpreted: a run resumed in a fresh JVM must equal an uninterrupted one
 * (PretrainerIT), and with the vector API's own exp and lane sums it did not (8.6e-5 apart after 4
 * epochs). The interpreted side is a child JVM with {@code -Xint}; the loops work on plain buffers
 * there, so ND4J need not start.
 */
class VectorRowsDeterminismTest {
  private static final int ROWS = 37;
  private static final int DIM = 64; // a width the LayerNorm loops take on AVX2 and AVX-512

  /** The child's entry: prints {@link #results()}. */
  public static void main(String[] args) {
    System.out.print(results());
  }

  /** Every kernel on fixed inputs; one line per output, its floats' bits in hex. */
  static String results() {
    int n = ROWS * DIM;
    Random rng = new Random(3);
    ByteBuffer x = buffer(n, rng, 4);
    ByteBuffer w = buffer(DIM, rng, 1);
    ByteBuffer b = buffer(DIM, rng, 1);
    ByteBuffer dy = buffer(n, rng, 1);
    ByteBuffer erf = buffer(n, rng, 0);
    ByteBuffer g = buffer(n, rng, 0);
    ByteBuffer dg = buffer(n, rng, 1);
    ByteBuffer y = buffer(n, rng, 0);
    ByteBuffer dx = buffer(n, rng, 1);
    ByteBuffer dw = buffer(DIM, rng, 0);
    ByteBuffer db = buffer(DIM, rng, 0);
    float[] mean = new float[ROWS];
    float[] rstd = new float[ROWS];
    VectorRows.gelu(x, erf, g, n - 3); // a tail no vector width divides
    VectorRows.geluBackward(x, erf, dg, n - 3);
    VectorRows.layerNorm(x, w, b, y, mean, rstd, ROWS, DIM);
    VectorRows.layerNormBackward(x, w, mean, rstd, dy, dx, true, dw, db, ROWS, DIM);
    // attention: 3 images of 13 tokens (a tail no vector width divides), 2 heads of 2 vectors
    int hd = 2 * IntStream.rangeClosed(1, 64).filter(VectorAttention::fits).findFirst().getAsInt();
    VectorAttention.Shape s = new VectorAttention.Shape(3, 13, 2, hd, (float) Math.pow(hd, -0.5));
    int rows = s.n() * s.t();
    ByteBuffer qkv = buffer(rows * 3 * s.dim(), rng, 2);
    ByteBuffer attn = buffer(s.n() * s.heads() * s.t() * s.t(), rng, 0);
    ByteBuffer o = buffer(rows * s.dim(), rng, 0);
    ByteBuffer dqkv = buffer(rows * 3 * s.dim(), rng, 0);
    VectorAttention.forward(qkv, attn, o, s);
    VectorAttention.backward(qkv, attn, o, dqkv, s);
    StringBuilder out = new StringBuilder();
    for (ByteBuffer r : List.of(erf, g, dg, y, dx, dw, db, attn, o, dqkv)) {
      for (int i = 0; i < r.capacity() / 4; i++) {
        out.append(Integer.toHexString(Float.floatToRawIntBits(r.getFloat(4 * i)))).append(' ');
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static ByteBuffer buffer(int n, Random rng, double scale) {
    ByteBuffer bb = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
    for (int i = 0; i < n; i++) {
      bb.putFloat(4 * i, (float) (scale * rng.nextGaussian()));
    }
    return bb;
  }

  @Test
  void interpretedAndCompiledLoopsGiveTheSameBits() throws IOException, InterruptedException {
    for (int i = 0; i < 3000; i++) { // long enough for C2 to compile the loops here
      results();
    }
    String compiled = results();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("--add-modules=jdk.incubator.vector", "-Xint", "-cp"));
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(VectorRowsDeterminismTest.class.getName());
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String interpreted = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    p.waitFor(5, TimeUnit.MINUTES);
    assertEquals(0, p.exitValue(), "the interpreted child failed");
    String[] want = interpreted.split("\n");
    String[] got = compiled.split("\n");
    String[] names = {
      "erf",
      "gelu",
      "gelu backward",
      "layer norm",
      "dx",
      "dw",
      "db",
      "attention weights",
      "attention output",
      "attention qkv gradient"
    };
    assertEquals(names.length, want.length, "outputs of the child");
    for (int i = 0; i < names.length; i++) {
      String[] a = want[i].split(" ");
      String[] b = got[i].split(" ");
      assertEquals(a.length, b.length, names[i]);
      int differ = 0;
      int first = -1;
      for (int j = 0; j < a.length; j++) {
        if (!a[j].equals(b[j])) {
          differ++;
          first = first < 0 ? j : first;
        }
      }
      if (differ > 0) {
        fail(
            names[i]
                + ": interpreted and compiled bits differ in "
                + differ
                + " values, first at "
                + first
                + " ("
                + a[first]
                + " vs "
                + b[first]
                + ")");
      }
    }
  }
}
