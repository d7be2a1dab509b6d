package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * Activation shaping (Djurisic, Bozanic, Ashok, Liu, "Extremely Simple Activation Shaping for
 * Out-of-Distribution Detection", ICLR 2023), per sample on the D-dim feature vector h, as in the
 * authors' code ({@code ash_p}, {@code ash_b}, {@code ash_s}):
 *
 * <ul>
 *   <li>{@code k = D − round(D·p/100)} (round half to even, like {@code np.round}); the k largest
 *       activations are kept (ties: lower index first), the rest set to 0;</li>
 *   <li>ASH-P: the kept values stay as they are;</li>
 *   <li>ASH-B: every kept position is set to {@code s1/k}, with {@code s1 = Σ_j h_j} before pruning;</li>
 *   <li>ASH-S: the pruned vector is multiplied by {@code exp(s1/s2)}, with s2 its sum after pruning
 *       (when s2 = 0 the vector is left unscaled).</li>
 * </ul>
 * The shaped features then go through the head and the energy score. Default p = 90 here; the paper's
 * ImageNet/ResNet-50 settings are ASH-P@60, ASH-B@65, ASH-S@90.
 *
 * <p>Cost: the rows' descending order is computed once per batch for every percentile and variant
 * (and SCALE); ASH-S's logits are {@code r·(W h_kept) + b}, so ASH-P and ASH-S at one percentile
 * share one product per head.
 */
record Ash(Variant variant, double percentile) implements FeatureTransform {
  private static final long serialVersionUID = 1L;

  /** The three ASH variants. */
  enum Variant { P, B, S }

  Ash {
    Check.argument(variant != null, "ASH variant must be given");
    Check.argument(percentile >= 0 && percentile <= 100, "ASH percentile must be in [0, 100], got %s", percentile);
  }

  /** Number of activations kept out of {@code dim}. */
  static int kept(int dim, double percentile) {
    return dim - (int) Math.rint(dim * percentile / 100.0);
  }

  /** The derivation key of the kept values at one percentile, shared by ASH-P and ASH-S. */
  private record KeptValues(double percentile) {}

  /**
   * The pruned rows: the k largest values of each row (ties: lower index first, in
   * {@link Double#compare}'s order) kept, as they are or, {@code binary}, as {@code s1/k}; the rest 0.
   */
  private double[] pruned(Batch batch, boolean binary) {
    int n = batch.size();
    int dim = batch.dim();
    int k = kept(dim, percentile);
    double[] h = batch.features();
    double[] out = new double[n * dim];
    if (k == 0) {
      return out;
    }
    double[] desc = batch.descending();
    double[] s1 = batch.rowSums();
    for (int s = 0; s < n; s++) {
      int row = s * dim;
      double t = desc[row + k - 1];  // the k-th largest
      int above = k - 1;             // how many values are strictly larger than t
      while (above > 0 && Double.compare(desc[row + above - 1], t) == 0) {
        above--;
      }
      int ties = k - above;          // values equal to t to keep, the first by index
      double fill = s1[s] / k;
      for (int j = 0; j < dim; j++) {
        int c = Double.compare(h[row + j], t);
        if (c > 0 || c == 0 && ties-- > 0) {
          out[row + j] = binary ? fill : h[row + j];
        }
      }
    }
    return out;
  }

  /** ASH-S's factor per row: {@code exp(s1/s2)}, s2 the kept values' sum (largest first); 1 where s2 = 0. */
  private double[] factors(Batch batch) {
    int n = batch.size();
    int dim = batch.dim();
    int k = kept(dim, percentile);
    double[] desc = batch.descending();
    double[] s1 = batch.rowSums();
    double[] out = new double[n];
    for (int s = 0; s < n; s++) {
      double s2 = 0;
      for (int r = 0; r < k; r++) {
        s2 += desc[s * dim + r];
      }
      out[s] = s2 != 0 ? Math.exp(s1[s] / s2) : 1;
    }
    return out;
  }

  @Override
  public void apply(double[] features, int n, int dim, double[] out) {
    Batch batch = new Batch(features, n, dim);
    double[] p = pruned(batch, variant == Variant.B);
    double[] r = variant == Variant.S ? factors(batch) : null;
    for (int s = 0; s < n; s++) {
      for (int j = 0; j < dim; j++) {
        out[s * dim + j] = r == null ? p[s * dim + j] : p[s * dim + j] * r[s];
      }
    }
  }

  @Override
  public double[] logits(Batch batch, LinearHead head) {
    int n = batch.size();
    if (variant == Variant.B) {
      return head.withBias(batch.product(head, this, () -> pruned(batch, true)), n);
    }
    double[] product = batch.product(head, new KeptValues(percentile), () -> pruned(batch, false));
    return variant == Variant.P ? head.withBias(product, n) : head.withBias(product, factors(batch), n);
  }
}
