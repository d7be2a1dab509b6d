package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * SHE (Zhang et al., "Out-of-Distribution Detection based on In-Distribution Data Patterns
 * Memorization with Modern Hopfield Energy", ICLR 2023), with OpenOOD's default inner-product
 * metric: the stored pattern of class c is the mean training feature of the samples of label c
 * that the model classifies as c, and
 * <pre>
 *   S(x) = ⟨h, m_ĉ⟩,   ĉ = argmax f
 * </pre>
 * A class no training sample was classified correctly as has no pattern; its scores are 0 (OpenOOD
 * gives NaN).
 */
final class She implements OodMethod {
  private static final long serialVersionUID = 1L;

  private final LinearHead head;
  private final double[] patterns;  // C×D

  She(LinearHead head, FeatureStats correct) {
    Check.argument(correct.classes() == head.classes() && correct.dim() == head.dim(),
        "SHE's patterns have shape %sx%s but the head %sx%s", correct.classes(), correct.dim(), head.classes(),
        head.dim());
    this.head = head;
    this.patterns = correct.classMeans();
  }

  @Override
  public String name() {
    return Method.SHE.key();
  }

  @Override
  public void score(double[] features, int n, double[] out) {
    int c = head.classes();
    int d = head.dim();
    Check.capacity(features, (long) n * d, "features");
    Check.capacity(out, n, "scores output");
    double[] logits = new double[n * c];
    head.logits(features, n, logits);
    for (int k = 0; k < n; k++) {
      int top = Fdbd.argmax(logits, k * c, c);
      double s = 0;
      for (int j = 0; j < d; j++) {
        s += features[k * d + j] * patterns[top * d + j];
      }
      out[k] = s;
    }
  }
}
