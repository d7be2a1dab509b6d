package io.opnp.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.opnp.math.LinearHead;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VimTest {

  private static double[] gaussian(int len, long seed) {
    Random rnd = new Random(seed);
    double[] a = new double[len];
    for (int i = 0; i < len; i++) {
      a[i] = rnd.nextGaussian();
    }
    return a;
  }

  @Test
  void originIsMinusPinvTimesBiasWithFewerClassesThanDims() {
    int c = 2;
    int d = 4;
    double[] w = gaussian(c * d, 1);
    double[] b = {0.7, -1.3};
    double[] u = VimSubspace.origin(new LinearHead(c, d, w, b));
    // pinv(W) = Wᵀ (W Wᵀ)⁻¹ for full row rank; the 2×2 inverse by hand.
    double g00 = 0;
    double g01 = 0;
    double g11 = 0;
    for (int j = 0; j < d; j++) {
      g00 += w[j] * w[j];
      g01 += w[j] * w[d + j];
      g11 += w[d + j] * w[d + j];
    }
    double det = g00 * g11 - g01 * g01;
    double y0 = (g11 * b[0] - g01 * b[1]) / det;
    double y1 = (-g01 * b[0] + g00 * b[1]) / det;
    for (int j = 0; j < d; j++) {
      assertEquals(-(w[j] * y0 + w[d + j] * y1), u[j], 1e-12);
    }
  }

  @Test
  void originIsLeastSquaresSolutionWithMoreClassesThanDims() {
    int c = 5;
    int d = 2;
    double[] w = gaussian(c * d, 2);
    double[] b = gaussian(c, 3);
    double[] u = VimSubspace.origin(new LinearHead(c, d, w, b));
    // Normal equations: Wᵀ (W u + b) = 0.
    for (int j = 0; j < d; j++) {
      double s = 0;
      for (int i = 0; i < c; i++) {
        double fi = b[i] + w[i * d] * u[0] + w[i * d + 1] * u[1];
        s += w[i * d + j] * fi;
      }
      assertEquals(0, s, 1e-12);
    }
  }

  @Test
  void defaultPrincipalDimensionFollowsThePaper() {
    assertEquals(1000, VimSubspace.defaultPrincipalDim(2048));
    assertEquals(1000, VimSubspace.defaultPrincipalDim(1500));
    assertEquals(512, VimSubspace.defaultPrincipalDim(768));
    assertEquals(128, VimSubspace.defaultPrincipalDim(256));
  }

  @Test
  void scoreIsEnergyMinusAlphaTimesResidualOutsideTheKnownPrincipalAxes() {
    int c = 3;
    int d = 4;
    double[] w = gaussian(c * d, 4);
    LinearHead head = new LinearHead(c, d, w, new double[c]);  // b = 0, so u = 0
    // Training set ±s_j e_j: E[h hᵀ] = diag(s_j²)/D, principal axes by s: 0 (3), 2 (2), 1 (1), 3 (0.5).
    double[] s = {3, 1, 2, 0.5};
    int m = 2 * d;
    double[] train = new double[m * d];
    for (int j = 0; j < d; j++) {
      train[(2 * j) * d + j] = s[j];
      train[(2 * j + 1) * d + j] = -s[j];
    }
    double[] logits = new double[m * c];
    head.logits(train, m, logits);
    FeatureStats stats = new FeatureStatsAccumulator(c, d, true).add(train, logits, new int[m], m).result();
    VimSubspace sub = VimSubspace.fit(head, stats, 2);
    // Brute force: residual = ‖(x1, x3)‖, α = mean max logit / mean residual.
    double maxLogitSum = 0;
    double residualSum = 0;
    for (int k = 0; k < m; k++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < c; i++) {
        max = Math.max(max, logits[k * c + i]);
      }
      maxLogitSum += max;
      residualSum += Math.hypot(train[k * d + 1], train[k * d + 3]);
    }
    assertEquals(residualSum, sub.residualNormSum(train, m), 1e-12);
    double alpha = maxLogitSum / residualSum;

    double[] queries = gaussian(3 * d, 5);
    double[] got = new double[3];
    OodMethods.create("vim", head, stats, MethodOptions.defaults().withVim(sub, residualSum / m))
        .score(queries, 3, got);
    for (int q = 0; q < 3; q++) {
      double lse = 0;
      for (int i = 0; i < c; i++) {
        double f = 0;
        for (int j = 0; j < d; j++) {
          f += w[i * d + j] * queries[q * d + j];
        }
        lse += Math.exp(f);
      }
      double want = Math.log(lse) - alpha * Math.hypot(queries[q * d + 1], queries[q * d + 3]);
      assertEquals(want, got[q], 1e-12, "query " + q);
    }
  }

  @Test
  void residualIsMeasuredFromTheOrigin() {
    int c = 1;
    int d = 2;
    // One class, W = (1, 0), b = -2: u = (2, 0). Training spread along axis 1 about u.
    LinearHead head = new LinearHead(c, d, new double[] {1, 0}, new double[] {-2});
    double[] train = {2, 5, 2, -5, 3, 0, 1, 0};
    FeatureStats stats = new FeatureStatsAccumulator(c, d, true).add(train, new double[4], new int[4], 4).result();
    VimSubspace sub = VimSubspace.fit(head, stats, 1);
    assertEquals(2, sub.origin()[0], 1e-15);
    assertEquals(0, sub.origin()[1], 1e-15);
    double[] out = new double[1];
    sub.residualNorms(new double[] {7, 4}, 1, out);  // principal axis 1; residual |7 − 2| along axis 0
    assertEquals(5, out[0], 1e-12);
  }

  @Test
  void vimWithoutCalibrationSaysWhatIsMissing() {
    LinearHead head = new LinearHead(1, 2, new double[] {1, 0}, new double[] {0});
    FeatureStats stats = new FeatureStatsAccumulator(1, 2, true)
        .add(new double[] {1, 2}, new double[1], new int[1], 1).result();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OodMethods.create("vim", head, stats, MethodOptions.defaults()));
    assertEquals("method vim needs MethodOptions.withVim(subspace, meanResidualNorm)", e.getMessage());
  }
}
