package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * DICE's weight sparsification (Sun &amp; Li, "DICE: Leveraging Sparsification for Out-of-Distribution
 * Detection", ECCV 2022), as in the authors' code: the contribution matrix {@code V = W ⊙ h̄}
 * ({@code V_ij = W_ij · h̄_j}, with h̄ the mean training feature), the threshold
 * {@code t = np.percentile(V, p)} over all C·D entries (signed, linear interpolation), and the mask
 * keeps the weights with {@code V_ij > t}, i.e. the top (100 − p) % contributions. The bias is kept;
 * the sparsified head is scored by energy. Default sparsity p = 90.
 */
final class Dice {
  private Dice() {}

  static LinearHead sparsified(LinearHead head, double[] meanFeature, double sparsityPercent) {
    int classes = head.classes();
    int dim = head.dim();
    Check.length(meanFeature, dim, "mean feature");
    Check.argument(sparsityPercent >= 0 && sparsityPercent <= 100,
        "DICE sparsity must be in [0, 100], got %s", sparsityPercent);
    double[] w = head.weight();
    double[] contrib = new double[w.length];
    for (int i = 0; i < classes; i++) {
      for (int j = 0; j < dim; j++) {
        contrib[i * dim + j] = w[i * dim + j] * meanFeature[j];
      }
    }
    double threshold = Percentile.of(contrib, sparsityPercent);
    for (int i = 0; i < w.length; i++) {
      if (!(contrib[i] > threshold)) {
        w[i] = 0;
      }
    }
    return new LinearHead(classes, dim, w, head.bias());
  }
}
