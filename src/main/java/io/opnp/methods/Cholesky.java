package io.opnp.methods;

import io.opnp.math.Check;

/**
 * Cholesky factor {@code A = L Lᵀ} of a symmetric positive-definite n×n matrix, and the inverse of
 * L. Fails fast, naming the pivot, when A is not positive definite. Immutable.
 */
final class Cholesky {
  private final int n;
  private final double[] lower;  // n×n row-major, zero above the diagonal

  private Cholesky(int n, double[] lower) {
    this.n = n;
    this.lower = lower;
  }

  /** Factors {@code a} (n×n row-major, symmetric; only the lower triangle is read). */
  static Cholesky of(double[] a, int n) {
    Check.positive(n, "matrix order");
    Check.length(a, (long) n * n, "symmetric matrix");
    double[] l = new double[n * n];
    for (int j = 0; j < n; j++) {
      double d = a[j * n + j];
      for (int k = 0; k < j; k++) {
        d -= l[j * n + k] * l[j * n + k];
      }
      Check.argument(d > 0 && Double.isFinite(d),
          "matrix is not positive definite: pivot %s is %s", j, d);
      double ljj = Math.sqrt(d);
      l[j * n + j] = ljj;
      for (int i = j + 1; i < n; i++) {
        double s = a[i * n + j];
        for (int k = 0; k < j; k++) {
          s -= l[i * n + k] * l[j * n + k];
        }
        l[i * n + j] = s / ljj;
      }
    }
    return new Cholesky(n, l);
  }

  /** L, a copy. */
  double[] lower() {
    return lower.clone();
  }

  /** {@code L⁻¹} (lower triangular, n×n row-major), by forward substitution on the identity. */
  double[] inverseLower() {
    double[] inv = new double[n * n];
    for (int col = 0; col < n; col++) {
      for (int i = col; i < n; i++) {
        double s = i == col ? 1 : 0;
        for (int k = col; k < i; k++) {
          s -= lower[i * n + k] * inv[k * n + col];
        }
        inv[i * n + col] = s / lower[i * n + i];
      }
    }
    return inv;
  }

  /** Solves {@code A x = b}. */
  double[] solve(double[] b) {
    Check.length(b, n, "right-hand side");
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double s = b[i];
      for (int k = 0; k < i; k++) {
        s -= lower[i * n + k] * y[k];
      }
      y[i] = s / lower[i * n + i];
    }
    double[] x = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double s = y[i];
      for (int k = i + 1; k < n; k++) {
        s -= lower[k * n + i] * x[k];
      }
      x[i] = s / lower[i * n + i];
    }
    return x;
  }
}
