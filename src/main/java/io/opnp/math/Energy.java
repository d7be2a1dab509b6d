package io.opnp.math;

/** Energy-score arithmetic on logits, with temperature T (DESIGN §1). */
public final class Energy {
  private Energy() {}

  /** The OOD score {@code S = T·logsumexp(f/T) = -E_T}; higher means more in-distribution. */
  public static double score(double[] logits, int offset, int classes, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < classes; i++) {
      max = Math.max(max, logits[offset + i] / temperature);
    }
    double sum = 0;
    for (int i = 0; i < classes; i++) {
      sum += Math.exp(logits[offset + i] / temperature - max);
    }
    return temperature * (max + Math.log(sum));
  }

  /** {@code p = softmax(f/T)} of one row, written into {@code out[outOffset..]}. */
  public static void softmax(float[] logits, int offset, int classes, double temperature,
                             double[] out, int outOffset) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < classes; i++) {
      max = Math.max(max, logits[offset + i] / temperature);
    }
    double sum = 0;
    for (int i = 0; i < classes; i++) {
      double e = Math.exp(logits[offset + i] / temperature - max);
      out[outOffset + i] = e;
      sum += e;
    }
    for (int i = 0; i < classes; i++) {
      out[outOffset + i] /= sum;
    }
  }

  /** The largest softmax probability of one row, {@code 1 / Σ_i exp((f_i − max f)/T)} (the MSP confidence). */
  public static double maxSoftmax(double[] logits, int offset, int classes, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < classes; i++) {
      max = Math.max(max, logits[offset + i]);
    }
    double sum = 0;
    for (int i = 0; i < classes; i++) {
      sum += Math.exp((logits[offset + i] - max) / temperature);
    }
    return 1 / sum;
  }

  /** Index of the largest value of one row (the first on ties). */
  public static int argmax(double[] values, int offset, int length) {
    int best = 0;
    for (int i = 1; i < length; i++) {
      if (values[offset + i] > values[offset + best]) {
        best = i;
      }
    }
    return best;
  }
}
