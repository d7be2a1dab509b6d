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
  void jacobiReconstructsRandomSymmetricMatrix() {
    int n = 9;
    double[] a = randomSymmetric(n, 7);
    assertReconstructs(a, n, SymmetricEigen.of(a, n), 1e-12);
  }

  @Test
  void jacobiReconstructsRankDeficientPsdMatrixWithZeroEigenvalues() {
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
  void jacobiGivesKnownEigenpairsOf2x2() {
    SymmetricEigen e = SymmetricEigen.of(new double[] {2, 1, 1, 2}, 2);
    assertEquals(3, e.value(0), 1e-15);
    assertEquals(1, e.value(1), 1e-15);
    double[] v = e.vector(0);
    assertEquals(1 / Math.sqrt(2), Math.abs(v[0]), 1e-15);
    assertEquals(v[0], v[1], 1e-15);
  }

  @Test
  void jacobiKeepsDiagonalMatrixAndSortsIt() {
    SymmetricEigen e = SymmetricEigen.of(new double[] {1, 0, 0, 0, 5, 0, 0, 0, 3}, 3);
    assertEquals(5, e.value(0));
    assertEquals(3, e.value(1));
    assertEquals(1, e.value(2));
    assertEquals(1, Math.abs(e.vector(0)[1]));
  }

  @Test
  void jacobiRejectsAsymmetricMatrixNamingTheEntries() {
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
