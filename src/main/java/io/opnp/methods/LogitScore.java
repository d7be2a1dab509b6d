package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.Energy;
import java.io.Serializable;

/** A score computed from one row of logits f (C values); higher = more in-distribution. */
interface LogitScore extends Serializable {
  double of(double[] logits, int offset, int classes);

  /**
   * Maximum softmax probability (Hendrycks &amp; Gimpel, "A Baseline for Detecting Misclassified and
   * Out-of-Distribution Examples in Neural Networks", ICLR 2017): {@code max_i softmax(f/T)_i}, T = 1.
   */
  static LogitScore msp(double temperature) {
    double t = Check.finitePositive(temperature, "temperature");
    return (f, o, c) -> Energy.maxSoftmax(f, o, c, t);
  }

  /**
   * Maximum logit (Hendrycks et al., "Scaling Out-of-Distribution Detection for Real-World
   * Settings", ICML 2022): {@code max_i f_i}; no hyper-parameter.
   */
  static LogitScore maxLogit() {
    return (f, o, c) -> {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < c; i++) {
        max = Math.max(max, f[o + i]);
      }
      return max;
    };
  }

  /**
   * Negative free energy (Liu, Wang, Owens, Li, "Energy-based Out-of-distribution Detection",
   * NeurIPS 2020): {@code T·logsumexp(f/T)}, T = 1.
   */
  static LogitScore energy(double temperature) {
    double t = Check.finitePositive(temperature, "temperature");
    return (f, o, c) -> Energy.score(f, o, c, t);
  }

  /**
   * Generalized entropy (Liu, Lochman, Zach, "GEN: Pushing the Limits of Softmax-Based
   * Out-of-Distribution Detection", CVPR 2023): with p = softmax(f) and p_(1) ≥ … ≥ p_(C),
   * {@code −Σ_{j ≤ M} p_(j)^γ (1 − p_(j))^γ}; M = C when M > C. Paper and OpenOOD defaults γ = 0.1, M = 100.
   */
  static LogitScore gen(double gamma, int m) {
    Check.finitePositive(gamma, "GEN gamma");
    Check.positive(m, "GEN M");
    return (f, o, c) -> {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < c; i++) {
        max = Math.max(max, f[o + i]);
      }
      double[] p = new double[c];
      double sum = 0;
      for (int i = 0; i < c; i++) {
        p[i] = Math.exp(f[o + i] - max);
        sum += p[i];
      }
      for (int i = 0; i < c; i++) {
        p[i] /= sum;
      }
      java.util.Arrays.sort(p);
      double s = 0;
      for (int j = c - 1; j >= Math.max(0, c - m); j--) {
        s += Math.pow(p[j], gamma) * Math.pow(1 - p[j], gamma);
      }
      return -s;
    };
  }
}
