package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * fDBD (Liu, Qin, "Fast Decision Boundary based Out-of-Distribution Detector", ICML 2024): the
 * feature's distances to the decision boundaries of its predicted class ĉ, regularized by its
 * distance to the training mean μ:
 * <pre>
 *   S(x) = Σ_{c ≠ ĉ} |f_ĉ − f_c| / ‖w_ĉ − w_c‖₂  /  ‖h − μ‖₂
 * </pre>
 * ({@code |f_ĉ − f_c|/‖w_ĉ − w_c‖} is h's distance to the ĉ–c boundary; the logits include the bias).
 * As OpenOOD: summed over c (the paper's mean over C − 1 ranks alike) and normalized by ‖h − μ‖
 * (OpenOOD's default, {@code distance_as_normalizer}). A pair of classes with identical weight rows
 * has no boundary and is skipped.
 */
final class Fdbd extends PredictedClassMethod {
  private static final long serialVersionUID = 1L;

  private final double[] mean;
  private final double[] inverseDistances;  // C×C: 1/‖w_a − w_b‖, 0 on the diagonal and for equal rows

  Fdbd(LinearHead head, double[] mean) {
    super(head);
    Check.argument(mean.length == head.dim(), "fDBD's training mean has %s values, the head %s", mean.length,
        head.dim());
    this.mean = mean.clone();
    int c = head.classes();
    int d = head.dim();
    double[] w = head.weight();
    inverseDistances = new double[c * c];
    for (int a = 0; a < c; a++) {
      for (int b = a + 1; b < c; b++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
          double x = w[a * d + j] - w[b * d + j];
          s += x * x;
        }
        double inv = s > 0 ? 1 / Math.sqrt(s) : 0;
        inverseDistances[a * c + b] = inv;
        inverseDistances[b * c + a] = inv;
      }
    }
  }

  @Override
  public String name() {
    return Method.FDBD.key();
  }

  @Override
  double score(double[] h, int hAt, double[] f, int fAt, int top) {
    int c = head.classes();
    double sum = 0;
    for (int b = 0; b < c; b++) {
      sum += Math.abs(f[fAt + top] - f[fAt + b]) * inverseDistances[top * c + b];
    }
    double norm = 0;
    for (int j = 0; j < mean.length; j++) {
      double x = h[hAt + j] - mean[j];
      norm += x * x;
    }
    return sum / Math.sqrt(norm);
  }
}
