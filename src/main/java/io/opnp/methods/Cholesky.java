package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.Lapack;
import org.netlib.util.intW;

/**
 * Cholesky factor {@code A = L Lᵀ} of a symmetric positive-definite n×n matrix, and the inverse of
 * L, by LAPACK ({@code dpotrf}, {@code dtrtri}, {@code dpotrs}). Fails fast, naming the pivot, when A
 * is not positive definite. Immutable.
 *
 * <p>Storage: a row-major lower triangle is a column-major upper triangle, so LAPACK is called with
 * {@code "U"} on row-major arrays: its {@code A = UᵀU} is our {@code A = L Lᵀ} with {@code U = Lᵀ}.
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
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double v = a[i * n + j];
        Check.argument(Double.isFinite(v), "matrix value %s at (%s, %s) is not finite", v, i, j);
      }
    }
    double[] l = a.clone();
    intW info = new intW(0);
    Lapack.get().dpotrf("U", n, l, n, info);
    Check.argument(info.val >= 0, "dpotrf rejected its argument %s (n=%s)", -info.val, n);
    if (info.val > 0) {
      // dpotrf stops at the first non-positive pivot and leaves its value on the diagonal.
      int j = info.val - 1;
      throw new IllegalArgumentException(String.format(
          "matrix is not positive definite: pivot %s is %s", j, l[j * n + j]));
    }
    zeroAboveDiagonal(l, n);
    return new Cholesky(n, l);
  }

  /** dpotrf and dtrtri leave the other triangle as they found it. */
  private static void zeroAboveDiagonal(double[] m, int n) {
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        m[i * n + j] = 0;
      }
    }
  }

  /** L, a copy. */
  double[] lower() {
    return lower.clone();
  }

  /** {@code L⁻¹} (lower triangular, n×n row-major). */
  double[] inverseLower() {
    double[] inv = lower.clone();
    intW info = new intW(0);
    Lapack.get().dtrtri("U", "N", n, inv, n, info);
    Check.argument(info.val >= 0, "dtrtri rejected its argument %s (n=%s)", -info.val, n);
    Check.argument(info.val == 0, "Cholesky factor is singular: diagonal element %s is zero", info.val - 1);
    zeroAboveDiagonal(inv, n);
    return inv;
  }

  /** Solves {@code A x = b}. */
  double[] solve(double[] b) {
    Check.length(b, n, "right-hand side");
    double[] x = b.clone();
    intW info = new intW(0);
    Lapack.get().dpotrs("U", n, 1, lower, n, x, n, info);
    Check.argument(info.val == 0, "dpotrs rejected its argument %s (n=%s)", -info.val, n);
    return x;
  }
}
