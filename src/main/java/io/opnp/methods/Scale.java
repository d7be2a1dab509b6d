package io.opnp.methods;

import io.opnp.math.Check;
import java.util.Arrays;

/**
 * SCALE (Xu, Chen, Franchi, Yao, "Scaling for Training Time and Post-hoc Out-of-distribution
 * Detection Enhancement", ICLR 2024): ASH-S's scaling without its pruning. Per sample, with
 * {@code k = D − round(D·p/100)} (round half to even, like {@code np.round}), {@code s1 = Σ_j h_j}
 * and {@code s2} the sum of the k largest activations, the whole vector is scaled:
 * {@code h' = h · exp(s1/s2)}; the head and the energy score follow. Only the features are scaled,
 * not the bias. Default p = 85 (the paper's and OpenOOD's). When {@code s2 ≤ 0} (k = 0, or no
 * positive activation) the ratio is undefined and h is left unscaled.
 */
final class Scale implements FeatureTransform {
  private static final long serialVersionUID = 1L;

  private final double percentile;

  Scale(double percentile) {
    Check.argument(percentile >= 0 && percentile <= 100, "SCALE percentile must be in [0, 100], got %s", percentile);
    this.percentile = percentile;
  }

  @Override
  public void apply(double[] features, int n, int dim, double[] out) {
    int k = Ash.kept(dim, percentile);
    double[] sorted = new double[dim];
    for (int s = 0; s < n; s++) {
      int row = s * dim;
      double s1 = 0;
      for (int j = 0; j < dim; j++) {
        s1 += features[row + j];
      }
      System.arraycopy(features, row, sorted, 0, dim);
      Arrays.sort(sorted);  // only the sum of the top k matters, so ties do not
      double s2 = 0;
      for (int j = dim - k; j < dim; j++) {
        s2 += sorted[j];
      }
      double scale = s2 > 0 ? Math.exp(s1 / s2) : 1;
      for (int j = 0; j < dim; j++) {
        out[row + j] = features[row + j] * scale;
      }
    }
  }
}
