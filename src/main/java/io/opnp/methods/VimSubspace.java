package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;
import java.io.Serializable;

/**
 * The geometry of ViM (Wang, Li, Feng, Zhang, "ViM: Out-Of-Distribution with Virtual-logit
 * Matching", CVPR 2022), as in the authors' {@code benchmark.py}:
 * <ul>
 *   <li>origin {@code u = −pinv(W) b}, the point whose logits are zero (for the least-squares
 *       solution);</li>
 *   <li>principal subspace P: the top-d eigenvectors of {@code E[(h − u)(h − u)ᵀ]} over the training
 *       features ({@code EmpiricalCovariance(assume_centered=True)} on {@code h − u});</li>
 *   <li>residual {@code ‖x^{P⊥}‖ = ‖R (h − u)‖} with R the remaining D − d eigenvectors.</li>
 * </ul>
 * Default d ({@link #defaultPrincipalDim}): the paper's rule, 1000 when D ≥ 1500, 512 when D ≥ 768,
 * else D/2. The eigen-decomposition is LAPACK's dsyevd of a D×D matrix, ~15 s for D = 2048.
 *
 * <p>{@code pinv(W) b} is computed as {@code Wᵀ (W Wᵀ)⁺ b} (C ≤ D) or {@code (Wᵀ W)⁺ Wᵀ b} (C > D),
 * with the Gram matrix pseudo-inverted through its eigen-decomposition; Gram eigenvalues below
 * {@code λ_max · n · 1e-15} (n its order) count as zero. Immutable.
 */
public final class VimSubspace implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int dim;
  private final int principalDim;
  private final double[] origin;    // u, D
  private final double[] residual;  // (D − d)×D row-major, rows orthonormal

  private VimSubspace(int dim, int principalDim, double[] origin, double[] residual) {
    this.dim = dim;
    this.principalDim = principalDim;
    this.origin = origin;
    this.residual = residual;
  }

  /** The paper's principal dimension for feature dimension D. */
  public static int defaultPrincipalDim(int dim) {
    Check.positive(dim, "feature dimension");
    if (dim >= 1500) {
      return 1000;
    }
    return dim >= 768 ? 512 : dim / 2;
  }

  /**
   * Fits origin and subspace.
   *
   * @param principalDim d in [0, D); 0 or less takes {@link #defaultPrincipalDim}
   */
  public static VimSubspace fit(LinearHead head, FeatureStats stats, int principalDim) {
    int dim = head.dim();
    Check.argument(stats.dim() == dim, "feature statistics have dimension %s but the head %s", stats.dim(), dim);
    int d = principalDim <= 0 ? defaultPrincipalDim(dim) : principalDim;
    Check.argument(d < dim, "ViM principal dimension must be below the feature dimension %s, got %s", dim, d);
    double[] origin = origin(head);
    SymmetricEigen eigen = SymmetricEigen.of(stats.momentAbout(origin), dim);
    return new VimSubspace(dim, d, origin, eigen.vectorRows(d, dim));
  }

  /**
   * A subspace saved earlier from {@link #origin()} and {@link #residualRows()}, taken as it is: a saved
   * detector scores with evaluate's subspace without redoing its eigen-decomposition (~15 s at D = 2048).
   *
   * @param residualRows the (D − d)×D row-major basis of the residual space, rows orthonormal
   */
  public static VimSubspace restore(int dim, int principalDim, double[] origin, double[] residualRows) {
    Check.positive(dim, "feature dimension");
    Check.argument(principalDim >= 0 && principalDim < dim,
        "ViM principal dimension must be in [0, %s), got %s", dim, principalDim);
    Check.length(origin, dim, "saved ViM origin");
    Check.length(residualRows, (long) (dim - principalDim) * dim, "saved ViM residual rows");
    return new VimSubspace(dim, principalDim, origin.clone(), residualRows.clone());
  }

  /** {@code u = −pinv(W) b}. */
  static double[] origin(LinearHead head) {
    int c = head.classes();
    int dim = head.dim();
    double[] w = head.weight();
    double[] b = head.bias();
    double[] u = new double[dim];
    if (c <= dim) {
      // u = −Wᵀ (W Wᵀ)⁺ b
      double[] gram = new double[c * c];
      for (int i = 0; i < c; i++) {
        for (int k = 0; k <= i; k++) {
          double s = 0;
          for (int j = 0; j < dim; j++) {
            s += w[i * dim + j] * w[k * dim + j];
          }
          gram[i * c + k] = s;
          gram[k * c + i] = s;
        }
      }
      double[] y = pseudoSolve(gram, c, b);
      for (int i = 0; i < c; i++) {
        for (int j = 0; j < dim; j++) {
          u[j] -= w[i * dim + j] * y[i];
        }
      }
    } else {
      // u = −(Wᵀ W)⁺ Wᵀ b
      double[] gram = new double[dim * dim];
      for (int j = 0; j < dim; j++) {
        for (int l = 0; l <= j; l++) {
          double s = 0;
          for (int i = 0; i < c; i++) {
            s += w[i * dim + j] * w[i * dim + l];
          }
          gram[j * dim + l] = s;
          gram[l * dim + j] = s;
        }
      }
      double[] wtb = new double[dim];
      for (int i = 0; i < c; i++) {
        for (int j = 0; j < dim; j++) {
          wtb[j] += w[i * dim + j] * b[i];
        }
      }
      double[] y = pseudoSolve(gram, dim, wtb);
      for (int j = 0; j < dim; j++) {
        u[j] = -y[j];
      }
    }
    return u;
  }

  /** {@code G⁺ r} for a symmetric positive semi-definite G. */
  private static double[] pseudoSolve(double[] gram, int n, double[] r) {
    SymmetricEigen eigen = SymmetricEigen.of(gram, n);
    double cutoff = Math.max(eigen.value(0), 0) * n * 1e-15;
    double[] x = new double[n];
    for (int e = 0; e < n; e++) {
      double lambda = eigen.value(e);
      if (lambda <= cutoff) {
        break;  // values are descending
      }
      double[] v = eigen.vector(e);
      double dot = 0;
      for (int i = 0; i < n; i++) {
        dot += v[i] * r[i];
      }
      for (int i = 0; i < n; i++) {
        x[i] += v[i] * dot / lambda;
      }
    }
    return x;
  }

  public int dim() {
    return dim;
  }

  public int principalDim() {
    return principalDim;
  }

  /** u, a copy. */
  public double[] origin() {
    return origin.clone();
  }

  /** R, the (D − d)×D row-major basis of the residual space, a copy (what {@link #restore} takes). */
  public double[] residualRows() {
    return residual.clone();
  }

  /** {@code ‖x^{P⊥}‖} of each of the n rows of {@code features} into {@code out}. */
  public void residualNorms(double[] features, int n, double[] out) {
    Check.capacity(features, (long) n * dim, "features");
    Check.capacity(out, n, "residual norms output");
    if (n == 0) {
      return;
    }
    int r = dim - principalDim;
    double[] shifted = new double[n * dim];
    for (int k = 0; k < n; k++) {
      for (int j = 0; j < dim; j++) {
        shifted[k * dim + j] = features[k * dim + j] - origin[j];
      }
    }
    // Y (n×r) = X Rᵀ; column-major: Yᵀ (r×n) = R (r×D) · Xᵀ (D×n); row-major R is column-major Rᵀ.
    double[] y = new double[n * r];
    io.opnp.math.Blas.get().dgemm("T", "N", r, n, dim, 1.0, residual, dim, shifted, dim, 0.0, y, r);
    for (int k = 0; k < n; k++) {
      double s = 0;
      for (int i = 0; i < r; i++) {
        s += y[k * r + i] * y[k * r + i];
      }
      out[k] = Math.sqrt(s);
    }
  }

  /**
   * {@code Σ_k ‖x_k^{P⊥}‖} over a batch: the second pass over the training set that calibrates α
   * sums this per partition; α's denominator is the total divided by the training count.
   */
  public double residualNormSum(double[] features, int n) {
    double[] norms = new double[n];
    residualNorms(features, n, norms);
    double s = 0;
    for (double v : norms) {
      s += v;
    }
    return s;
  }
}
