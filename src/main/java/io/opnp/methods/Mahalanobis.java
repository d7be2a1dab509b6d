package io.opnp.methods;

import io.opnp.math.Check;

/**
 * Mahalanobis distance to the closest class (Lee, Lee, Lee, Shin, "A Simple Unified Framework for
 * Detecting Out-of-Distribution Samples and Adversarial Attacks", NeurIPS 2018), on the penultimate
 * features only (no input pre-processing, no layer ensemble, as ViM and OpenOOD report it):
 * <pre>
 *   S(x) = −min_c (h − μ_c)ᵀ Σ⁻¹ (h − μ_c)
 * </pre>
 * with class means μ_c and the shared (tied) covariance Σ of the training features, see
 * {@link FeatureStats#sharedCovariance()}. Classes without training samples are skipped.
 *
 * <p>Ridge: Σ is positive semi-definite and singular when some features never vary (e.g. dead
 * ReLUs), so it is inverted as {@code Σ + λ I} with {@code λ = ridge · trace(Σ)/D} (default ridge
 * {@code 1e-6}) through a Cholesky factor L; then {@code d_c = ‖L⁻¹(h − μ_c)‖²}. The original code's
 * pseudo-inverse ignores zero-variance directions instead; the ridge penalizes them heavily.
 */
final class Mahalanobis implements OodMethod {
  private static final long serialVersionUID = 1L;

  /** Default relative ridge added to Σ before inversion. */
  static final double DEFAULT_RIDGE = 1e-6;

  private final int dim;
  private final int classes;           // classes with samples
  private final double[] center;       // global mean μ (subtracted first, for accuracy)
  private final double[] whitener;     // A = L⁻¹, D×D row-major, padded by D (see whiten)
  private final double[] whiteMeans;   // A(μ_c − μ), classes×D row-major
  private final double[] whiteMeanNorms2;

  private Mahalanobis(int dim, int classes, double[] center, double[] whitener, double[] whiteMeans,
                      double[] whiteMeanNorms2) {
    this.dim = dim;
    this.classes = classes;
    this.center = center;
    this.whitener = whitener;
    this.whiteMeans = whiteMeans;
    this.whiteMeanNorms2 = whiteMeanNorms2;
  }

  /** The fit of {@code stats} at the options' ridge, made once for every configuration built with them. */
  static Mahalanobis fit(FeatureStats stats, MethodOptions o) {
    double ridge = o.covarianceRidge();
    return o.fits().get(new Key(stats, ridge), () -> fit(stats, ridge));
  }

  /** What decides a fit: the statistics (by identity) and the ridge. */
  private record Key(FeatureStats stats, double ridge) {}

  static Mahalanobis fit(FeatureStats stats, double ridge) {
    Check.argument(Double.isFinite(ridge) && ridge >= 0, "covariance ridge must be finite and >= 0, got %s", ridge);
    int dim = stats.dim();
    double[] whitener = whitener(stats.sharedCovariance(), dim, ridge, "the shared covariance of the training features");
    double[] mean = stats.mean();
    double[] classMeans = stats.classMeans();
    int used = 0;
    for (int c = 0; c < stats.classes(); c++) {
      used += stats.classCount(c) > 0 ? 1 : 0;
    }
    double[] centered = new double[used * dim];
    int r = 0;
    for (int c = 0; c < stats.classes(); c++) {
      if (stats.classCount(c) > 0) {
        for (int j = 0; j < dim; j++) {
          centered[r * dim + j] = classMeans[c * dim + j] - mean[j];
        }
        r++;
      }
    }
    double[] white = whiten(whitener, centered, used, dim);
    double[] norms2 = new double[used];
    for (int c = 0; c < used; c++) {
      for (int j = 0; j < dim; j++) {
        norms2[c] += white[c * dim + j] * white[c * dim + j];
      }
    }
    return new Mahalanobis(dim, used, mean, whitener, white, norms2);
  }

  /**
   * {@code A = L⁻¹} for {@code Σ + λI = L Lᵀ}, {@code λ = ridge · trace(Σ)/D}; {@code cov} is overwritten.
   */
  static double[] whitener(double[] cov, int dim, double ridge, String what) {
    double trace = 0;
    for (int j = 0; j < dim; j++) {
      trace += cov[j * dim + j];
    }
    Check.argument(trace > 0, "%s is zero (trace %s): the features are constant", what, trace);
    double lambda = ridge * trace / dim;
    for (int j = 0; j < dim; j++) {
      cov[j * dim + j] += lambda;
    }
    return java.util.Arrays.copyOf(Cholesky.of(cov, dim).inverseLower(), dim * dim + dim);  // padded: see whiten
  }

  /** Blocks of the lower-triangular whitener multiplied on their own (see {@link #whiten}). */
  static final int TRIANGLE_BLOCKS = 8;

  /**
   * Rows of X (n×D) mapped to rows of X Aᵀ, i.e. each row x to A x, for a lower-triangular A
   * (D×D row-major). One product over the whole of A would spend half its multiply-adds on the zero
   * upper triangle; in 8 × 8 blocks only the 36 on or below the diagonal are multiplied, 56 % of the
   * work. Block (r, c) adds {@code A_rc x_c} to {@code z_r}. netlib checks a block's reach as if it
   * spanned whole columns from its offset, so A, X and the result are one row longer than they hold
   * ({@link #whitener} pads A; X is padded here when it is not).
   */
  static double[] whiten(double[] a, double[] x, int n, int dim) {
    Check.capacity(a, (long) dim * dim + dim, "padded whitener");
    if (x.length < n * dim + dim) {
      x = java.util.Arrays.copyOf(x, n * dim + dim);
    }
    double[] out = new double[n * dim + dim];
    double[] xs = x;
    dev.ludovic.netlib.blas.BLAS blas = io.opnp.math.Blas.get();
    // Column-major: outᵀ[r0…] (rows×n) += A_rc (rows×cols) · Xᵀ[c0…] (cols×n); row-major A is column-major Aᵀ.
    io.opnp.math.TriangleBlocks.lower(dim, TRIANGLE_BLOCKS, (r0, rows, c0, cols) ->
        blas.dgemm("T", "N", rows, n, cols, 1.0, a, r0 * dim + c0, dim, xs, c0, dim, 1.0, out, r0, dim));
    return out;
  }

  /** Each row h (n×D) mapped to A(h − center). */
  static double[] whitenedAbout(double[] a, double[] center, double[] features, int n, int dim) {
    double[] centered = new double[n * dim + dim];  // padded for whiten
    for (int k = 0; k < n; k++) {
      for (int j = 0; j < dim; j++) {
        centered[k * dim + j] = features[k * dim + j] - center[j];
      }
    }
    return whiten(a, centered, n, dim);
  }

  @Override
  public String name() {
    return Method.MAHALANOBIS.key();
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public void score(Batch batch, double[] out) {
    double[] s = scores(batch);
    System.arraycopy(s, 0, out, 0, batch.size());
  }

  private record Scores(Mahalanobis fit) {}

  /** {@code −min_c d_c} per row of the batch, computed once per fit and batch (Mahalanobis and RMDS share it). */
  double[] scores(Batch batch) {
    return batch.shared(new Scores(this), () -> {
      int n = batch.size();
      double[] out = new double[n];
      if (n == 0) {
        return out;
      }
      double[] z = whitenedAbout(whitener, center, batch.features(), n, dim);
      // G (n×classes) = Z · Mᵀ; column-major: Gᵀ (classes×n) = M (classes×D) · Zᵀ (D×n).
      double[] g = new double[n * classes];
      io.opnp.math.Blas.get().dgemm("T", "N", classes, n, dim, 1.0, whiteMeans, dim, z, dim, 0.0, g, classes);
      for (int k = 0; k < n; k++) {
        double z2 = 0;
        for (int j = 0; j < dim; j++) {
          z2 += z[k * dim + j] * z[k * dim + j];
        }
        double best = Double.POSITIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
          best = Math.min(best, z2 - 2 * g[k * classes + c] + whiteMeanNorms2[c]);
        }
        out[k] = -Math.max(best, 0);
      }
      return out;
    });
  }
}
