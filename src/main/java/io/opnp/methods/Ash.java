package io.opnp.methods;

import io.opnp.math.Check;
import java.util.Arrays;
import java.util.Comparator;

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
 *       (when s2 = 0 the pruned vector is all zero and stays so).</li>
 * </ul>
 * The shaped features then go through the head and the energy score. Default p = 90 here; the paper's
 * ImageNet/ResNet-50 settings are ASH-P@60, ASH-B@65, ASH-S@90.
 */
final class Ash implements FeatureTransform {
  private static final long serialVersionUID = 1L;

  /** The three ASH variants. */
  enum Variant { P, B, S }

  private final Variant variant;
  private final double percentile;

  Ash(Variant variant, double percentile) {
    Check.argument(variant != null, "ASH variant must be given");
    Check.argument(percentile >= 0 && percentile <= 100, "ASH percentile must be in [0, 100], got %s", percentile);
    this.variant = variant;
    this.percentile = percentile;
  }

  /** Number of activations kept out of {@code dim}. */
  static int kept(int dim, double percentile) {
    return dim - (int) Math.rint(dim * percentile / 100.0);
  }

  @Override
  public void apply(double[] features, int n, int dim, double[] out) {
    int k = kept(dim, percentile);
    Integer[] order = new Integer[dim];
    for (int s = 0; s < n; s++) {
      int row = s * dim;
      double s1 = 0;
      for (int j = 0; j < dim; j++) {
        s1 += features[row + j];
        out[row + j] = 0;
      }
      if (k == 0) {
        continue;
      }
      for (int j = 0; j < dim; j++) {
        order[j] = j;
      }
      // Stable sort by descending value: equal values keep ascending index order.
      Arrays.sort(order, Comparator.comparingDouble((Integer j) -> features[row + j]).reversed());
      double s2 = 0;
      for (int r = 0; r < k; r++) {
        int j = order[r];
        out[row + j] = variant == Variant.B ? s1 / k : features[row + j];
        s2 += features[row + j];
      }
      if (variant == Variant.S && s2 != 0) {
        double scale = Math.exp(s1 / s2);
        for (int r = 0; r < k; r++) {
          out[row + order[r]] *= scale;
        }
      }
    }
  }
}
