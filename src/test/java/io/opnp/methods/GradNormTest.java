package io.opnp.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opnp.math.LinearHead;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GradNormTest {
  private static final int C = 4;
  private static final int D = 5;

  /** D_KL(u ‖ softmax((W h + b)/T)) with u = 1/C, computed directly. */
  private static double kl(double[] w, double[] b, double[] h, double t) {
    double[] z = new double[C];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < C; i++) {
      z[i] = b[i];
      for (int j = 0; j < D; j++) {
        z[i] += w[i * D + j] * h[j];
      }
      z[i] /= t;
      max = Math.max(max, z[i]);
    }
    double lse = 0;
    for (double v : z) {
      lse += Math.exp(v - max);
    }
    lse = max + Math.log(lse);
    double kl = 0;
    for (int i = 0; i < C; i++) {
      double logP = z[i] - lse;
      kl += (1.0 / C) * (Math.log(1.0 / C) - logP);
    }
    return kl;
  }

  @ParameterizedTest
  @ValueSource(doubles = {1.0, 2.0})
  void closedFormEqualsL1NormOfFiniteDifferenceGradient(double t) {
    Random rnd = new Random(17);
    double[] w = new double[C * D];
    double[] b = new double[C];
    for (int i = 0; i < w.length; i++) {
      w[i] = rnd.nextGaussian();
    }
    for (int i = 0; i < C; i++) {
      b[i] = rnd.nextGaussian();
    }
    int n = 3;
    double[] h = new double[n * D];
    for (int i = 0; i < h.length; i++) {
      h[i] = rnd.nextGaussian() * 2;  // signed, so |h| matters
    }
    double[] out = new double[n];
    OodMethods.create("gradnorm", new LinearHead(C, D, w, b), null, MethodOptions.defaults().withTemperature(t))
        .score(h, n, out);
    double eps = 1e-6;
    for (int k = 0; k < n; k++) {
      double[] hk = java.util.Arrays.copyOfRange(h, k * D, (k + 1) * D);
      double l1 = 0;
      for (int idx = 0; idx < C * D; idx++) {
        double[] wp = w.clone();
        double[] wm = w.clone();
        wp[idx] += eps;
        wm[idx] -= eps;
        l1 += Math.abs((kl(wp, b, hk, t) - kl(wm, b, hk, t)) / (2 * eps));
      }
      assertEquals(l1, out[k], 1e-7 * Math.max(1, l1), "sample " + k);
    }
  }
}
