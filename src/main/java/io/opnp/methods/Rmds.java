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

  /** RMDS of {@code stats}; its class-conditional part is the options' shared Mahalanobis fit. */
  static Rmds fit(FeatureStats stats, MethodOptions o) {
    double[] mean = stats.mean();
    return new Rmds(Mahalanobis.fit(stats, o), stats.dim(), mean, Mahalanobis.whitener(stats.momentAbout(mean),
        stats.dim(), o.covarianceRidge(), "the covariance of the training features"));
  }

  @Override
  public String name() {
    return Method.RMDS.key();
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public void score(Batch batch, double[] out) {
    int n = batch.size();
    if (n == 0) {
      return;
    }
    System.arraycopy(classConditional.scores(batch), 0, out, 0, n);  // −min_c d_c
    double[] z = Mahalanobis.whitenedAbout(backgroundWhitener, center, batch.features(), n, dim);
    for (int k = 0; k < n; k++) {
      double d0 = 0;
      for (int j = 0; j < dim; j++) {
        d0 += z[k * dim + j] * z[k * dim + j];
      }
      out[k] += d0;
    }
  }
}
