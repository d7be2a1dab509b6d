package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.Energy;
import java.io.Serializable;

/** A score computed from one row of logits f (C values); higher = more in-distribution. */
interface LogitScore extends Serializable {
  double of(double[] logits, int offset, int classes);

  /** The score of every row of a batch's logits (n×C); a score may share work across its settings there. */
  default void scores(Batch batch, double[] logits, int classes, double[] out) {
    for (int k = 0; k < batch.size(); k++) {
      out[k] = of(logits, k * classes, classes);
    }
  }

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
    return new Gen(gamma, m);
  }

  /**
   * GEN. On a batch every (γ, M) of the same logits shares one sorted softmax and its
   * {@code log p + log(1 − p)} per row, so each setting costs M exponentials
   * ({@code p^γ (1−p)^γ = exp(γ (log p + log(1−p)))}) instead of a softmax, a sort and 2M powers.
   */
  record Gen(double gamma, int m) implements LogitScore {
    public Gen {
      Check.finitePositive(gamma, "GEN gamma");
      Check.positive(m, "GEN M");
    }

    @Override
    public double of(double[] f, int o, int c) {
      double[] p = new double[c];
      descendingSoftmax(f, o, c, p);
      double s = 0;
      for (int j = 0; j < Math.min(m, c); j++) {
        s += Math.pow(p[j], gamma) * Math.pow(1 - p[j], gamma);
      }
      return -s;
    }

    /** Each row's {@code log p + log(1 − p)} in descending order of p (n×C), kept per logits array. */
    private record LogTerms(double[] logits) {}

    @Override
    public void scores(Batch batch, double[] logits, int c, double[] out) {
      int n = batch.size();
      double[] terms = batch.shared(new LogTerms(logits), () -> {
        double[] t = new double[n * c];
        double[] p = new double[c];
        for (int k = 0; k < n; k++) {
          descendingSoftmax(logits, k * c, c, p);
          for (int j = 0; j < c; j++) {
            t[k * c + j] = Math.log(p[j]) + Math.log(1 - p[j]);
          }
        }
        return t;
      });
      for (int k = 0; k < n; k++) {
        double s = 0;
        for (int j = 0; j < Math.min(m, c); j++) {
          s += Math.exp(gamma * terms[k * c + j]);
        }
        out[k] = -s;
      }
    }

    /** softmax(f) of one row, sorted in descending order, into {@code p}. */
    private static void descendingSoftmax(double[] f, int o, int c, double[] p) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < c; i++) {
        max = Math.max(max, f[o + i]);
      }
      double sum = 0;
      for (int i = 0; i < c; i++) {
        p[i] = Math.exp(f[o + i] - max);
        sum += p[i];
      }
      for (int i = 0; i < c; i++) {
        p[i] /= sum;
      }
      java.util.Arrays.sort(p);
      for (int i = 0, j = c - 1; i < j; i++, j--) {
        double v = p[i];
        p[i] = p[j];
        p[j] = v;
      }
    }
  }
}
