package io.opnp.methods;

import io.opnp.math.Check;

/**
 * Relative Mahalanobis distance (Ren, Fort, Liu, Roy, Padhy, Lakshminarayanan, "A Simple Fix to
 * Mahalanobis Distance for Improving Near-OOD Detection", arXiv 2106.09022, 2021): the class-
 * conditional Mahalanobis distance minus that of one background Gaussian fitted to all training
 * features,
 * <pre>
 *   S(x) = d₀(h) − min_c d_c(h),   d₀ = (h − μ)ᵀ Σ₀⁻¹ (h − μ),   d_c as in {@link Mahalanobis}
 * </pre>
 * with μ, Σ₀ the training mean and covariance ({@code E[hhᵀ] − μμᵀ}). Both inverses use
 * {@link Mahalanobis}' relative ridge (OpenOOD uses scikit-learn's pseudo-inverse instead).
 */
final class Rmds implements OodMethod {
  private static final long serialVersionUID = 1L;

  private final Mahalanobis classConditional;
  private final int dim;
  private final double[] center;
  private final double[] backgroundWhitener;

  private Rmds(Mahalanobis classConditional, int dim, double[] center, double[] backgroundWhitener) {
    this.classConditional = classConditional;
    this.dim = dim;
    this.center = center;
    this.backgroundWhitener = backgroundWhitener;
  }

  static Rmds fit(FeatureStats stats, double ridge) {
    double[] mean = stats.mean();
    return new Rmds(Mahalanobis.fit(stats, ridge), stats.dim(), mean,
        Mahalanobis.whitener(stats.momentAbout(mean), stats.dim(), ridge, "the covariance of the training features"));
  }

  @Override
  public String name() {
    return Method.RMDS.key();
  }

  @Override
  public void score(double[] features, int n, double[] out) {
    Check.capacity(features, (long) n * dim, "features");
    Check.capacity(out, n, "scores output");
    if (n == 0) {
      return;
    }
    classConditional.score(features, n, out);  // −min_c d_c
    double[] z = Mahalanobis.whitenedAbout(backgroundWhitener, center, features, n, dim);
    for (int k = 0; k < n; k++) {
      double d0 = 0;
      for (int j = 0; j < dim; j++) {
        d0 += z[k * dim + j] * z[k * dim + j];
      }
      out[k] += d0;
    }
  }
}
