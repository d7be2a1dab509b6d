package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * SCALE (Xu, Chen, Franchi, Yao, "Scaling for Training Time and Post-hoc Out-of-distribution
 * Detection Enhancement", ICLR 2024): ASH-S's scaling without its pruning. Per sample, with
 * {@code k = D − round(D·p/100)} (round half to even, like {@code np.round}), {@code s1 = Σ_j h_j}
 * and {@code s2} the sum of the k largest activations, the whole vector is scaled:
 * {@code h' = h · exp(s1/s2)}; the head and the energy score follow. Only the features are scaled,
 * not the bias. Default p = 85 (the paper's and OpenOOD's). When {@code s2 ≤ 0} (k = 0, or no
 * positive activation) the ratio is undefined and h is left unscaled.
 *
 * <p>Since {@code W(r·h) = r·(W h)}, the scaled logits are {@code r·(W h) + b}: the head's product
 * of the unscaled rows, which energy and the other methods of the batch compute anyway, so SCALE
 * costs no product of its own.
 */
record Scale(double percentile) implements FeatureTransform {
  private static final long serialVersionUID = 1L;

  Scale {
    Check.argument(percentile >= 0 && percentile <= 100, "SCALE percentile must be in [0, 100], got %s", percentile);
  }

  /** Each row's factor {@code exp(s1/s2)}, or 1 where {@code s2 ≤ 0}. */
  double[] factors(Batch batch) {
    int n = batch.size();
    int dim = batch.dim();
    int k = Ash.kept(dim, percentile);
    double[] desc = batch.descending();
    double[] s1 = batch.rowSums();
    double[] out = new double[n];
    for (int s = 0; s < n; s++) {
      double s2 = 0;
      for (int r = k - 1; r >= 0; r--) {  // smallest of the k first, as an ascending sort sums them
        s2 += desc[s * dim + r];
      }
      out[s] = s2 > 0 ? Math.exp(s1[s] / s2) : 1;
    }
    return out;
  }

  @Override
  public void apply(double[] features, int n, int dim, double[] out) {
    double[] r = factors(new Batch(features, n, dim));
    for (int s = 0; s < n; s++) {
      for (int j = 0; j < dim; j++) {
        out[s * dim + j] = features[s * dim + j] * r[s];
      }
    }
  }

  @Override
  public double[] logits(Batch batch, LinearHead head) {
    return head.withBias(batch.product(head), factors(batch), batch.size());
  }
}
