package org.maespark.eval;

import java.util.SplittableRandom;
import org.maespark.input.Seeds;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The official linear probe head ({@code main_linprobe.py}) on frozen, precomputed features:
 * BatchNorm without affine (eps 1e-6) + Linear(d, classes) with weights from a truncated normal
 * (std 0.01), trained by SGD with momentum 0.9, no weight decay and a half-cycle cosine LR per
 * iteration. BatchNorm uses batch statistics in training and the running statistics (momentum 0.1)
 * for evaluation, as torch's BatchNorm1d.
 *
 * @param epochs training epochs
 * @param lr peak learning rate
 * @param batch minibatch size
 * @param seed seed of the init and the per-epoch shuffles
 */
public record LinearProbe(int epochs, double lr, int batch, long seed) {
  private static final double BN_EPS = 1e-6;

  /** Test top-1 in [0, 1]; {@code [0]} is test accuracy, {@code [1]} train accuracy. */
  public double[] fitAndScore(
      INDArray train, int[] trainLabels, INDArray test, int[] testLabels, int numClasses) {
    train = train.castTo(DataType.DOUBLE); // the probe is tiny: double precision costs nothing
    test = test.castTo(DataType.DOUBLE);
    int n = (int) train.size(0);
    int d = (int) train.size(1);
    SplittableRandom rng = Seeds.rng(seed, 0x50524f42L);
    INDArray w = Nd4j.create(truncNormal(rng, d * numClasses, 0.01), d, numClasses); // [d, K]
    INDArray b = Nd4j.zeros(DataType.DOUBLE, 1, numClasses); // [1, K]
    INDArray vw = Nd4j.zeros(DataType.DOUBLE, d, numClasses);
    INDArray vb = Nd4j.zeros(DataType.DOUBLE, 1, numClasses);
    INDArray runMean = Nd4j.zeros(DataType.DOUBLE, 1, d);
    INDArray runVar = Nd4j.ones(DataType.DOUBLE, 1, d);
    long stepsPerEpoch = Math.max(1, n / batch);
    long total = stepsPerEpoch * epochs;
    long step = 0;
    for (int e = 0; e < epochs; e++) {
      int[] order = permutation(n, Seeds.rng(seed, 0x50524f42L, e + 1));
      for (long s = 0; s < stepsPerEpoch; s++, step++) {
        int[] rows =
            java.util.Arrays.copyOfRange(order, (int) (s * batch), (int) (s * batch + batch));
        INDArray x = train.getRows(rows); // [B, d]
        INDArray mean = x.mean(true, 0); // [1, d]
        INDArray var = x.var(false, 0).reshape(1, d); // [1, d] biased, for normalising
        runMean.muli(0.9).addi(mean.mul(0.1));
        runVar.muli(0.9).addi(x.var(true, 0).reshape(1, d).mul(0.1)); // unbiased, as torch
        INDArray xn =
            x.subRowVector(mean).diviRowVector(Transforms.sqrt(var.add(BN_EPS))); // [B, d]
        INDArray p = softmax(xn.mmul(w).addiRowVector(b)); // [B, K]
        for (int i = 0; i < rows.length; i++) {
          p.putScalar(i, trainLabels[rows[i]], p.getDouble(i, trainLabels[rows[i]]) - 1.0);
        }
        p.divi(rows.length); // dLoss/dlogits of the mean cross-entropy
        INDArray gw = xn.transpose().mmul(p); // [d, K]
        INDArray gb = p.sum(true, 0); // [1, K]
        double lrNow = lr * 0.5 * (1 + Math.cos(Math.PI * step / total));
        vw.muli(0.9).addi(gw); // torch SGD momentum: v = m*v + g; p -= lr*v
        vb.muli(0.9).addi(gb);
        w.subi(vw.mul(lrNow));
        b.subi(vb.mul(lrNow));
      }
    }
    double testAcc = accuracy(test, testLabels, w, b, runMean, runVar);
    double trainAcc = accuracy(train, trainLabels, w, b, runMean, runVar);
    return new double[] {testAcc, trainAcc};
  }

  private static double accuracy(
      INDArray x, int[] labels, INDArray w, INDArray b, INDArray mean, INDArray var) {
    INDArray xn = x.subRowVector(mean).diviRowVector(Transforms.sqrt(var.add(BN_EPS)));
    INDArray pred = xn.mmul(w).addiRowVector(b).argMax(1); // [N]
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      if (pred.getInt(i) == labels[i]) {
        correct++;
      }
    }
    return (double) correct / labels.length;
  }

  private static INDArray softmax(INDArray logits) {
    INDArray z = logits.subColumnVector(logits.max(1).reshape(logits.size(0), 1));
    INDArray e = Transforms.exp(z, false);
    return e.diviColumnVector(e.sum(1).reshape(logits.size(0), 1));
  }

  private static double[] truncNormal(SplittableRandom rng, int n, double std) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double v;
      do {
        // Box-Muller; torch's trunc_normal_ cuts at +-2 (absolute), i.e. far outside 0.01 std
        v =
            Math.sqrt(-2 * Math.log(1 - rng.nextDouble()))
                * Math.cos(2 * Math.PI * rng.nextDouble());
      } while (Math.abs(v * std) > 2);
      out[i] = v * std;
    }
    return out;
  }

  private static int[] permutation(int n, SplittableRandom rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
