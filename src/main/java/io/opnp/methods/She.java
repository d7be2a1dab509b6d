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
final class She extends PredictedClassMethod {
  private static final long serialVersionUID = 1L;

  private final double[] patterns;  // C×D

  She(LinearHead head, FeatureStats correct) {
    super(head);
    Check.argument(correct.classes() == head.classes() && correct.dim() == head.dim(),
        "SHE's patterns have shape %sx%s but the head %sx%s", correct.classes(), correct.dim(), head.classes(),
        head.dim());
    this.patterns = correct.classMeans();
  }

  @Override
  public String name() {
    return Method.SHE.key();
  }

  @Override
  double score(double[] h, int hAt, double[] f, int fAt, int top) {
    int d = head.dim();
    double s = 0;
    for (int j = 0; j < d; j++) {
      s += h[hAt + j] * patterns[top * d + j];
    }
    return s;
  }
}
