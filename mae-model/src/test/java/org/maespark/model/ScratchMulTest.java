package org.maespark.model;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class ScratchMulTest {
  void run(String name, long[] a, long[] b, int kind) {
    SameDiff sd = SameDiff.create();
    SDVariable x = sd.var("x", Nd4j.rand(DataType.FLOAT, a));
    SDVariable y = sd.var("y", Nd4j.rand(DataType.FLOAT, b));
    SDVariable z =
        switch (kind) {
          case 0 -> x.mul(y);
          case 1 -> x.add(y);
          case 2 -> sd.mmul(x, y);
          case 4 -> sd.nn.layerNorm(x, y, sd.zerosLike(y), false, 1);
          case 5 -> {
            SDVariable c = x.sub(x.mean(true, 1));
            SDVariable v = sd.math.square(c).mean(true, 1);
            yield c.mul(sd.math.rsqrt(v.add(1e-6))).mul(y);
          }
          case 6 -> {
            SDVariable c = x.sub(x.mean(true, 1));
            SDVariable v = sd.math.square(c).mean(true, 1);
            yield c.mul(sd.math.rsqrt(v.add(1e-6))).mul(sd.reshape(y, 1, -1));
          }
          case 7 -> {
            SDVariable c = x.sub(x.mean(true, 1));
            SDVariable v = sd.math.square(c).mean(true, 1);
            yield c.div(sd.math.sqrt(v.add(1e-6))).mul(sd.reshape(y, 1, -1));
          }
          case 8 -> x.mul(0.5).mul(sd.math.erf(x.mul(Math.sqrt(0.5))).add(1.0)).add(y);
          default -> sd.math.square(x);
        };
    z.sum().markAsLoss();
    sd.createGradFunction();
    for (int i = 0; i < 5; i++) sd.calculateGradients(null, List.of("x", "y"));
    long t0 = System.nanoTime();
    for (int i = 0; i < 20; i++) sd.calculateGradients(null, List.of("x", "y"));
    System.out.printf("SCRATCH %-30s %.3f ms/iter%n", name, (System.nanoTime() - t0) / 1e6 / 20);
  }

  @Test
  void mul() {
    long m = 6400, d = 64;
    run("LN fused", new long[] {m, d}, new long[] {d}, 4);
    run("LN composed [d]", new long[] {m, d}, new long[] {d}, 5);
    run("LN composed [1,d]", new long[] {m, d}, new long[] {d}, 6);
    run("LN composed div", new long[] {m, d}, new long[] {d}, 7);
    run("gelu erf", new long[] {m, 4 * d}, new long[] {1, 4 * d}, 8);
    run("matmul [m,d]x[d,4d]", new long[] {m, d}, new long[] {d, 4 * d}, 2);
    run("mul same", new long[] {m, d}, new long[] {m, d}, 0);
    run("mul row [d]", new long[] {m, d}, new long[] {d}, 0);
    run("mul row [1,d]", new long[] {m, d}, new long[] {1, d}, 0);
    run("mul col [m,1]", new long[] {m, d}, new long[] {m, 1}, 0);
    run("add row [d]", new long[] {m, d}, new long[] {d}, 1);
    run("add col [m,1]", new long[] {m, d}, new long[] {m, 1}, 1);
    run("matmul [m,d]x[d,d]", new long[] {m, d}, new long[] {d, d}, 2);
  }
}
