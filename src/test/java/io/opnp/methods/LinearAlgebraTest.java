package io.opnp.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearAlgebraTest {

  private static double[] randomSymmetric(int n, long seed) {
    Random rnd = new Random(seed);
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double v = rnd.nextGaussian();
        a[i * n + j] = v;
        a[j * n + i] = v;
      }
    }
    return a;
  }

  /** B Bᵀ for a random n×r B: positive semi-definite of rank r. */
  private static double[] randomPsd(int n, int r, long seed) {
    Random rnd = new Random(seed);
    double[] b = new double[n * r];
    for (int i = 0; i < b.length; i++) {
      b[i] = rnd.nextGaussian();
    }
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < r; k++) {
          s += b[i * r + k] * b[j * r + k];
        }
        a[i * n + j] = s;
      }
    }
    return a;
  }

  private static void assertReconstructs(double[] a, int n, SymmetricEigen e, double tol) {
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        double dot = 0;
        for (int r = 0; r < n; r++) {
          s += e.vector(r)[i] * e.value(r) * e.vector(r)[j];
          dot += e.vector(i)[r] * e.vector(j)[r];
        }
        assertEquals(a[i * n + j], s, tol, "A = V Λ Vᵀ at (" + i + "," + j + ")");
        assertEquals(i == j ? 1 : 0, dot, tol, "Vᵀ V = I at (" + i + "," + j + ")");
      }
    }
    for (int r = 1; r < n; r++) {
      assertTrue(e.value(r - 1) >= e.value(r), "eigenvalues descending");
    }
  }

  @Test
  void eigenReconstructsRandomSymmetricMatrix() {
    int n = 9;
    double[] a = randomSymmetric(n, 7);
    assertReconstructs(a, n, SymmetricEigen.of(a, n), 1e-12);
  }

  @Test
  void eigenReconstructsRankDeficientPsdMatrixWithZeroEigenvalues() {
    int n = 8;
    double[] a = randomPsd(n, 3, 11);
    SymmetricEigen e = SymmetricEigen.of(a, n);
    assertReconstructs(a, n, e, 1e-11);
    for (int r = 3; r < n; r++) {
      assertEquals(0, e.value(r), 1e-12);
    }
    assertTrue(e.value(2) > 1e-3);
  }

  @Test
  void eigenGivesKnownEigenpairsOf2x2() {
    SymmetricEigen e = SymmetricEigen.of(new double[] {2, 1, 1, 2}, 2);
    assertEquals(3, e.value(0), 1e-15);
    assertEquals(1, e.value(1), 1e-15);
    double[] v = e.vector(0);
    assertEquals(1 / Math.sqrt(2), Math.abs(v[0]), 1e-15);
    assertEquals(v[0], v[1], 1e-15);
  }

  @Test
  void eigenKeepsDiagonalMatrixAndSortsIt() {
    SymmetricEigen e = SymmetricEigen.of(new double[] {1, 0, 0, 0, 5, 0, 0, 0, 3}, 3);
    assertEquals(5, e.value(0));
    assertEquals(3, e.value(1));
    assertEquals(1, e.value(2));
    assertEquals(1, Math.abs(e.vector(0)[1]));
  }

  @Test
  void eigenRejectsAsymmetricMatrixNamingTheEntries() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SymmetricEigen.of(new double[] {1, 2, 3, 4}, 2));
    assertEquals("matrix is not symmetric: a(0,1)=2.0 but a(1,0)=3.0", e.getMessage());
  }

  @Test
  void choleskyFactorsAndInvertsPositiveDefiniteMatrix() {
    int n = 6;
    double[] a = randomPsd(n, n + 2, 3);
    Cholesky c = Cholesky.of(a, n);
    double[] l = c.lower();
    double[] inv = c.inverseLower();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double llt = 0;
        double linvl = 0;
        for (int k = 0; k < n; k++) {
          llt += l[i * n + k] * l[j * n + k];
          linvl += inv[i * n + k] * l[k * n + j];
        }
        assertEquals(a[i * n + j], llt, 1e-12);
        assertEquals(i == j ? 1 : 0, linvl, 1e-12);
      }
    }
    double[] b = {1, -2, 3, 0.5, 0, 4};
    double[] x = c.solve(b);
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < n; j++) {
        s += a[i * n + j] * x[j];
      }
      assertEquals(b[i], s, 1e-11);
    }
  }

  @Test
  void choleskyRejectsIndefiniteMatrixNamingThePivot() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Cholesky.of(new double[] {1, 2, 2, 1}, 2));
    assertEquals("matrix is not positive definite: pivot 1 is -3.0", e.getMessage());
  }

  /** ‖A V − V Λ‖_max and ‖Vᵀ V − I‖_max through BLAS, so a realistic size stays quick to check. */
  @Test
  void eigenReconstructsA1024SpdMatrixAtCovarianceSize() {
    int n = 1024;
    double[] a = randomSpd(n, 5);
    long t0 = System.nanoTime();
    SymmetricEigen e = SymmetricEigen.of(a, n);
    double seconds = (System.nanoTime() - t0) / 1e9;
    double[] vt = e.vectorRows(0, n);  // row r = v_r: column-major V
    double[] av = new double[n * n];
    io.opnp.math.Blas.get().dgemm("N", "N", n, n, n, 1.0, a, n, vt, n, 0.0, av, n);
    double[] vtv = new double[n * n];
    io.opnp.math.Blas.get().dgemm("T", "N", n, n, n, 1.0, vt, n, vt, n, 0.0, vtv, n);
    double residual = 0;
    double orthogonality = 0;
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < n; i++) {
        residual = Math.max(residual, Math.abs(av[r * n + i] - e.value(r) * vt[r * n + i]));
        orthogonality = Math.max(orthogonality, Math.abs(vtv[r * n + i] - (r == i ? 1 : 0)));
      }
    }
    System.out.printf("dsyevd n=%d: %.2f s, max |AV - VΛ| %.2e (λ_max %.1f), max |VᵀV - I| %.2e%n",
        n, seconds, residual, e.value(0), orthogonality);
    assertTrue(residual < 1e-10 * e.value(0), "A V = V Λ, residual " + residual);
    assertTrue(orthogonality < 1e-12, "Vᵀ V = I, deviation " + orthogonality);
    assertTrue(e.value(n - 1) > 0, "SPD eigenvalues are positive");
    for (int r = 1; r < n; r++) {
      assertTrue(e.value(r - 1) >= e.value(r), "eigenvalues descending at " + r);
    }
  }

  @Test
  void choleskyInvertsA512SpdMatrix() {
    int n = 512;
    double[] a = randomSpd(n, 9);
    Cholesky c = Cholesky.of(a, n);
    double[] l = c.lower();
    double[] inv = c.inverseLower();
    double[] product = new double[n * n];  // row-major L⁻¹ L is column-major Lᵀ L⁻ᵀ: still I
    io.opnp.math.Blas.get().dgemm("N", "N", n, n, n, 1.0, l, n, inv, n, 0.0, product, n);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        worst = Math.max(worst, Math.abs(product[i * n + j] - (i == j ? 1 : 0)));
      }
      for (int j = i + 1; j < n; j++) {
        assertEquals(0, l[i * n + j], "L is lower triangular");
        assertEquals(0, inv[i * n + j], "L⁻¹ is lower triangular");
      }
    }
    assertTrue(worst < 1e-10, "L⁻¹ L = I, deviation " + worst);
  }

  @Test
  void choleskyRejectsNonFiniteEntryNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Cholesky.of(new double[] {1, 0, Double.NaN, 1}, 2));
    assertEquals("matrix value NaN at (1, 0) is not finite", e.getMessage());
  }

  /** B Bᵀ / n + I for a random n×n B: well conditioned, like a ridged covariance. */
  private static double[] randomSpd(int n, long seed) {
    Random rnd = new Random(seed);
    double[] b = new double[n * n];
    for (int i = 0; i < b.length; i++) {
      b[i] = rnd.nextGaussian();
    }
    double[] a = new double[n * n];
    io.opnp.math.Blas.get().dgemm("T", "N", n, n, n, 1.0 / n, b, n, b, n, 0.0, a, n);
    for (int i = 0; i < n; i++) {
      a[i * n + i] += 1;
      for (int j = 0; j < i; j++) {
        a[j * n + i] = a[i * n + j];  // exactly symmetric whatever the product's rounding
      }
    }
    return a;
  }

  @Test
  void percentileMatchesNumpyLinearInterpolation() {
    // np.percentile([4, 1, 3, 2], q) for q = 0, 90, 50, 100: 1.0, 3.7, 2.5, 4.0
    double[] v = {4, 1, 3, 2};
    assertEquals(1.0, Percentile.of(v, 0), 0);
    assertEquals(3.7, Percentile.of(v, 90), 1e-15);
    assertEquals(2.5, Percentile.of(v, 50), 0);
    assertEquals(4.0, Percentile.of(v, 100), 0);
    assertEquals(7.0, Percentile.of(new double[] {7}, 33), 0);
  }
}
