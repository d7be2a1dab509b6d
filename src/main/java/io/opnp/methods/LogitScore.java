package io.opnp.methods;

import io.opnp.math.Energy;

/** Scores computed from one row of logits f (C values) at temperature T. */
enum LogitScore {
  /**
   * Maximum softmax probability (Hendrycks &amp; Gimpel, "A Baseline for Detecting Misclassified and
   * Out-of-Distribution Examples in Neural Networks", ICLR 2017): {@code max_i softmax(f/T)_i}, T = 1.
   */
  MSP {
    @Override
    double of(double[] logits, int offset, int classes, double temperature) {
      return Energy.maxSoftmax(logits, offset, classes, temperature);
    }
  },
  /**
   * Maximum logit (Hendrycks et al., "Scaling Out-of-Distribution Detection for Real-World
   * Settings", ICML 2022): {@code max_i f_i}; no hyper-parameter (T is ignored).
   */
  MAX_LOGIT {
    @Override
    double of(double[] logits, int offset, int classes, double temperature) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < classes; i++) {
        max = Math.max(max, logits[offset + i]);
      }
      return max;
    }
  },
  /**
   * Negative free energy (Liu, Wang, Owens, Li, "Energy-based Out-of-distribution Detection",
   * NeurIPS 2020): {@code T·logsumexp(f/T)}, T = 1.
   */
  ENERGY {
    @Override
    double of(double[] logits, int offset, int classes, double temperature) {
      return Energy.score(logits, offset, classes, temperature);
    }
  };

  abstract double of(double[] logits, int offset, int classes, double temperature);
}
