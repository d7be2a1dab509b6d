package io.opnp.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SensitivityAccumulatorTest {
  private static final int C = 5;
  private static final int D = 7;

  /** E_T(W, h) = -T log Σ exp((W h + b)/T), computed directly in float64. */
  private static double energy(double[] w, double[] b, double[] h, double t) {
    double[] f = new double[C];
    for (int i = 0; i < C; i++) {
      f[i] = b[i];
      for (int j = 0; j < D; j++) {
        f[i] += w[i * D + j] * h[j];
      }
    }
    double max = Double.NEGATIVE_INFINITY;
    for (double v : f) {
      max = Math.max(max, v / t);
    }
    double s = 0;
    for (double v : f) {
      s += Math.exp(v / t - max);
    }
    return -t * (max + Math.log(s));
  }

  private static float[] logits(double[] w, double[] b, float[] h, int n) {
    float[] f = new float[n * C];
    for (int k = 0; k < n; k++) {
      for (int i = 0; i < C; i++) {
        double s = b[i];
        for (int j = 0; j < D; j++) {
          s += w[i * D + j] * h[k * D + j];
        }
        f[k * C + i] = (float) s;
      }
    }
    return f;
  }

  @ParameterizedTest
  @ValueSource(doubles = {1.0, 2.5})
  void closedFormMatchesFiniteDifferencesOfTheEnergy(double t) {
    Random rnd = new Random(42);
    int n = 6;
    double[] w = new double[C * D];
    double[] b = new double[C];
    float[] h = new float[n * D];
    for (int i = 0; i < w.length; i++) {
      w[i] = rnd.nextGaussian();
    }
    for (int i = 0; i < C; i++) {
      b[i] = rnd.nextGaussian();
    }
    for (int i = 0; i < h.length; i++) {
      h[i] = (float) (rnd.nextGaussian() * 1.5);  // signed, so |h| matters
    }
    SensitivityAccumulator acc = new SensitivityAccumulator(C, D, t).add(h, logits(w, b, h, n), n, w);
    Sensitivity s = acc.result("m", null);

    double eps = 1e-6;
    double[] mw = new double[C * D];
    double[] mo = new double[D];
    for (int k = 0; k < n; k++) {
      double[] hk = new double[D];
      for (int j = 0; j < D; j++) {
        hk[j] = h[k * D + j];
      }
      for (int idx = 0; idx < C * D; idx++) {
        double[] wp = w.clone();
        double[] wm = w.clone();
        wp[idx] += eps;
        wm[idx] -= eps;
        mw[idx] += Math.abs((energy(wp, b, hk, t) - energy(wm, b, hk, t)) / (2 * eps)) / n;
      }
      for (int j = 0; j < D; j++) {
        double[] hp = hk.clone();
        double[] hm = hk.clone();
        hp[j] += eps;
        hm[j] -= eps;
        mo[j] += Math.abs((energy(w, b, hp, t) - energy(w, b, hm, t)) / (2 * eps)) / n;
      }
    }
    // The logits pass through float32 in the accumulator (as they come from the model).
    for (int idx = 0; idx < C * D; idx++) {
      assertEquals(mw[idx], s.weight(idx / D, idx % D), 1e-6 * Math.max(1, Math.abs(mw[idx])), "Mw at " + idx);
    }
    for (int j = 0; j < D; j++) {
      assertEquals(mo[j], s.neuron(j), 1e-6 * Math.max(1, Math.abs(mo[j])), "Mo at " + j);
    }
  }

  @Test
  void neuronSensitivityIsTheMeanOfAbsoluteValuesNotTheAbsoluteMean() {
    // Two samples whose gradients wrt h_0 have opposite signs: |mean| = 0 but mean|.| > 0.
    double[] w = new double[C * D];
    w[0] = 1;          // W_00 = 1
    w[D] = -1;         // W_10 = -1
    float[] h = new float[2 * D];
    float[] f = new float[2 * C];
    f[0] = 30;         // sample 0: p ≈ e_0, so ∂E/∂h_0 = -(Wᵀp)_0 ≈ -1
    f[C + 1] = 30;     // sample 1: p ≈ e_1, so ∂E/∂h_0 ≈ +1
    Sensitivity s = new SensitivityAccumulator(C, D, 1).add(h, f, 2, w).result("m", null);
    assertEquals(1.0, s.neuron(0), 1e-9);
  }

  @Test
  void mergingPartialSumsEqualsOneAccumulation() {
    Random rnd = new Random(3);
    int n = 50;
    double[] w = new double[C * D];
    for (int i = 0; i < w.length; i++) {
      w[i] = rnd.nextGaussian();
    }
    float[] h = new float[n * D];
    float[] f = new float[n * C];
    for (int i = 0; i < h.length; i++) {
      h[i] = (float) rnd.nextGaussian();
    }
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) (3 * rnd.nextGaussian());
    }
    Sensitivity whole = new SensitivityAccumulator(C, D, 1).add(h, f, n, w).result("m", null);
    int cut = 17;
    float[] h1 = java.util.Arrays.copyOfRange(h, 0, cut * D);
    float[] f1 = java.util.Arrays.copyOfRange(f, 0, cut * C);
    float[] h2 = java.util.Arrays.copyOfRange(h, cut * D, n * D);
    float[] f2 = java.util.Arrays.copyOfRange(f, cut * C, n * C);
    SensitivityAccumulator a = new SensitivityAccumulator(C, D, 1).add(h1, f1, cut, w);
    SensitivityAccumulator b = new SensitivityAccumulator(C, D, 1).add(h2, f2, n - cut, w);
    Sensitivity merged = new SensitivityAccumulator(C, D, 1).merge(b).merge(a).result("m", null);
    assertEquals(n, merged.count());
    assertEquals(0, whole.maxRelativeDifference(merged), 1e-13);
  }

  @Test
  void rejectsMergingDifferentShapesOrTemperatures() {
    SensitivityAccumulator a = new SensitivityAccumulator(C, D, 1);
    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
        () -> a.merge(new SensitivityAccumulator(C, D + 1, 1)));
    assertEquals("cannot merge sums of shape 5x8 into 5x7", shape.getMessage());
    IllegalArgumentException temp = assertThrows(IllegalArgumentException.class,
        () -> a.merge(new SensitivityAccumulator(C, D, 2)));
    assertEquals("cannot merge sums at temperature 2.0 into 1.0", temp.getMessage());
  }

  @Test
  void emptyAccumulatorHasNoResult() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SensitivityAccumulator(C, D, 1).result("m", null));
    assertEquals("no samples were accumulated: the training set is empty", e.getMessage());
  }

  @Test
  void rejectsNonPositiveTemperature() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SensitivityAccumulator(C, D, 0));
    assertEquals("temperature must be a finite positive number, got 0.0", e.getMessage());
  }
}
