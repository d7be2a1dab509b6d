package io.opnp.methods;

import io.opnp.math.Check;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Statistics of the in-distribution training features (the result of a
 * {@link FeatureStatsAccumulator}): count m, mean μ, class counts m_c and class means μ_c, the mean
 * max logit and, when accumulated, the second moment {@code E[h hᵀ]}, from which the shared
 * covariance and the moments about any point follow. Immutable; getters return copies.
 */
public final class FeatureStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int classes;
  private final int dim;
  private final long count;
  private final long[] classCounts;
  private final double[] mean;
  private final double[] classMeans;    // C×D row-major; zero rows for classes without samples
  private final double[] secondMoment;  // D×D E[h hᵀ], or null
  private final double meanMaxLogit;

  /** Statistics saved earlier (a detector bundle), restored as they were. */
  public static FeatureStats restore(int classes, int dim, long count, long[] classCounts, double[] mean,
                                     double[] classMeans, double[] secondMoment, double meanMaxLogit) {
    io.opnp.math.Check.argument(classCounts.length == classes && mean.length == dim
        && classMeans.length == (long) classes * dim && (secondMoment == null || secondMoment.length == (long) dim * dim),
        "saved feature statistics do not have the shape %sx%s", classes, dim);
    return new FeatureStats(classes, dim, count, classCounts.clone(), mean.clone(), classMeans.clone(),
        secondMoment == null ? null : secondMoment.clone(), meanMaxLogit);
  }

  /** Per-class sample counts (a copy). */
  public long[] classCounts() {
    return classCounts.clone();
  }

  FeatureStats(int classes, int dim, long count, long[] classCounts, double[] mean, double[] classMeans,
               double[] secondMoment, double meanMaxLogit) {
    this.classes = classes;
    this.dim = dim;
    this.count = count;
    this.classCounts = classCounts;
    this.mean = mean;
    this.classMeans = classMeans;
    this.secondMoment = secondMoment;
    this.meanMaxLogit = meanMaxLogit;
  }

  public int classes() {
    return classes;
  }

  public int dim() {
    return dim;
  }

  public long count() {
    return count;
  }

  public long classCount(int c) {
    return classCounts[c];
  }

  /** μ = E[h], a copy. */
  public double[] mean() {
    return mean.clone();
  }

  /** μ_c (C×D row-major, a copy); the row of a class without samples is zero. */
  public double[] classMeans() {
    return classMeans.clone();
  }

  /** {@code (1/m) Σ_k max_i f_i(x_k)}, the mean max logit over the training set. */
  public double meanMaxLogit() {
    return meanMaxLogit;
  }

  public boolean hasSecondMoments() {
    return secondMoment != null;
  }

  /** {@code E[h hᵀ]} (D×D row-major, a copy). */
  public double[] secondMoment() {
    return requireSecondMoment("the second moment").clone();
  }

  /**
   * The shared (tied) within-class covariance of Lee et al. 2018, the maximum-likelihood estimate
   * normalized by m: {@code Σ = (1/m) Σ_k (h_k − μ_{y_k})(h_k − μ_{y_k})ᵀ = E[h hᵀ] − Σ_c (m_c/m) μ_c μ_cᵀ}.
   */
  public double[] sharedCovariance() {
    double[] cov = requireSecondMoment("the shared covariance").clone();
    // Rows sqrt(m_c/m)·μ_c form S (C×D row-major = column-major D×C); cov −= Sᵀ S in one BLAS dsyrk,
    // which updates the upper triangle of the column-major view (the lower triangle of row-major cov).
    double[] scaled = new double[classes * dim];
    for (int c = 0; c < classes; c++) {
      double w = Math.sqrt((double) classCounts[c] / count);
      for (int j = 0; j < dim; j++) {
        scaled[c * dim + j] = w * classMeans[c * dim + j];
      }
    }
    io.opnp.math.Blas.get().dsyrk("U", "N", dim, classes, -1.0, scaled, dim, 1.0, cov, dim);
    for (int r = 0; r < dim; r++) {
      for (int s = r + 1; s < dim; s++) {
        cov[r * dim + s] = cov[s * dim + r];
      }
    }
    return symmetrized(cov);
  }

  /** {@code E[(h − u)(h − u)ᵀ] = E[h hᵀ] − μ uᵀ − u μᵀ + u uᵀ}, the second moment about the point u. */
  public double[] momentAbout(double[] u) {
    Check.length(u, dim, "point");
    double[] m = requireSecondMoment("the moment about a point").clone();
    for (int r = 0; r < dim; r++) {
      for (int s = 0; s < dim; s++) {
        m[r * dim + s] += -mean[r] * u[s] - u[r] * mean[s] + u[r] * u[s];
      }
    }
    return symmetrized(m);
  }

  /** Makes a(r,s) and a(s,r) bit-identical (their rounding may differ by an ulp). */
  private double[] symmetrized(double[] a) {
    for (int r = 0; r < dim; r++) {
      for (int s = r + 1; s < dim; s++) {
        double v = 0.5 * (a[r * dim + s] + a[s * dim + r]);
        a[r * dim + s] = v;
        a[s * dim + r] = v;
      }
    }
    return a;
  }

  private double[] requireSecondMoment(String what) {
    Check.argument(secondMoment != null,
        "%s needs second moments: accumulate with new FeatureStatsAccumulator(classes, dim, true)", what);
    return secondMoment;
  }

  @Override
  public String toString() {
    return String.format("FeatureStats{m=%d, C=%d, D=%d, secondMoments=%s, classCounts=%s}", count, classes, dim,
        secondMoment != null, classes <= 20 ? Arrays.toString(classCounts) : "[" + classes + " classes]");
  }
}
