package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * KL matching (Hendrycks et al., "Scaling Out-of-Distribution Detection for Real-World Settings",
 * ICML 2022): the template d_k of class k is the mean softmax output of the ID samples the model
 * predicts as k, and
 * <pre>
 *   S(x) = −min_k KL(p ‖ d_k) = −min_k Σ_i p_i log(p_i / d_{k,i}),   p = softmax(f)
 * </pre>
 * Templates come from the training set here (OpenOOD fits them on its ID validation split); a class
 * nothing is predicted as gets the one-hot template e_k, as in OpenOOD. Template entries are floored
 * at the smallest double, so a probability the template lacks costs {@code p_i · 744} instead of +∞.
 * Computed as {@code Σ p log p − P·(log D)ᵀ}: one matrix product per batch.
 */
final class KlMatching implements OodMethod {
  private static final long serialVersionUID = 1L;

  private final LinearHead head;
  private final double[] logTemplates;  // C×C: log d_{k,i}

  KlMatching(LinearHead head, FeatureStats softmax) {
    int c = head.classes();
    Check.argument(softmax.classes() == c && softmax.dim() == c, "KL matching's templates have shape %sx%s, need %sx%s",
        softmax.classes(), softmax.dim(), c, c);
    this.head = head;
    double[] t = softmax.classMeans();
    for (int k = 0; k < c; k++) {
      if (softmax.classCount(k) == 0) {
        t[k * c + k] = 1;
      }
    }
    logTemplates = new double[c * c];
    for (int i = 0; i < t.length; i++) {
      logTemplates[i] = Math.log(Math.max(t[i], Double.MIN_VALUE));
    }
  }

  @Override
  public String name() {
    return Method.KLM.key();
  }

  @Override
  public int dim() {
    return head.dim();
  }

  @Override
  public void score(Batch batch, double[] out) {
    int c = head.classes();
    int n = batch.size();
    if (n == 0) {
      return;
    }
    double[] logits = batch.logits(head);
    double[] p = new double[n * c];
    for (int k = 0; k < n; k++) {
      TrainingSums.softmaxRow(logits, k * c, c, p, k * c);
    }
    // cross (n×C) = P · (log D)ᵀ; column-major: crossᵀ (C×n) = (log D) (C×C) · Pᵀ (C×n).
    double[] cross = new double[n * c];
    io.opnp.math.Blas.get().dgemm("T", "N", c, n, c, 1.0, logTemplates, c, p, c, 0.0, cross, c);
    for (int k = 0; k < n; k++) {
      double negEntropy = 0;
      for (int i = 0; i < c; i++) {
        double v = p[k * c + i];
        negEntropy += v > 0 ? v * Math.log(v) : 0;
      }
      double best = Double.POSITIVE_INFINITY;
      for (int t = 0; t < c; t++) {
        best = Math.min(best, negEntropy - cross[k * c + t]);
      }
      out[k] = -best;
    }
  }
}
