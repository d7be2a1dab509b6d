package io.opnp.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.opnp.math.LinearHead;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MahalanobisTest {
  private static final int D = 3;


  private static double[] explicitScores(double[] train, int[] y, int m, int classes, double[] queries, int n,
                                         double ridge) {
    double[] mu = new double[classes * D];
    int[] counts = new int[classes];
    for (int k = 0; k < m; k++) {
      counts[y[k]]++;
      for (int j = 0; j < D; j++) {
        mu[y[k] * D + j] += train[k * D + j];
      }
    }
    for (int c = 0; c < classes; c++) {
      for (int j = 0; j < D; j++) {
        mu[c * D + j] /= Math.max(counts[c], 1);
      }
    }
    double[] cov = new double[9];
    for (int k = 0; k < m; k++) {
      for (int r = 0; r < D; r++) {
        for (int c = 0; c < D; c++) {
          cov[r * 3 + c] += (train[k * D + r] - mu[y[k] * D + r]) * (train[k * D + c] - mu[y[k] * D + c]) / m;
        }
      }
    }
    double lambda = ridge * (cov[0] + cov[4] + cov[8]) / D;
    for (int j = 0; j < D; j++) {
      cov[j * 4] += lambda;
    }
    double[] p = Matrices3.inverse3(cov);
    double[] out = new double[n];
    for (int q = 0; q < n; q++) {
      double best = Double.POSITIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        if (counts[c] == 0) {
          continue;
        }
        double[] diff = new double[D];
        for (int j = 0; j < D; j++) {
          diff[j] = queries[q * D + j] - mu[c * D + j];
        }
        double dist = 0;
        for (int r = 0; r < D; r++) {
          for (int c2 = 0; c2 < D; c2++) {
            dist += diff[r] * p[r * 3 + c2] * diff[c2];
          }
        }
        best = Math.min(best, dist);
      }
      out[q] = -best;
    }
    return out;
  }

  private static void check(int classes, int[] y, double ridge, long seed) {
    Random rnd = new Random(seed);
    int m = y.length;
    double[] train = new double[m * D];
    for (int k = 0; k < m; k++) {
      for (int j = 0; j < D; j++) {
        train[k * D + j] = rnd.nextGaussian() * (j + 1) + 3 * y[k] * (j == 0 ? 1 : -0.5);
      }
      train[k * D + 2] += 0.8 * train[k * D];  // correlated features
    }
    int n = 6;
    double[] queries = new double[n * D];
    for (int i = 0; i < queries.length; i++) {
      queries[i] = rnd.nextGaussian() * 3;
    }
    FeatureStats stats = new FeatureStatsAccumulator(classes, D, true)
        .add(train, new double[m * classes], y, m).result();
    double[] got = new double[n];
    OodMethods.create("mahalanobis", new LinearHead(classes, D, new double[classes * D], new double[classes]),
        stats, MethodOptions.defaults().withCovarianceRidge(ridge)).score(queries, n, got);
    double[] want = explicitScores(train, y, m, classes, queries, n, ridge);
    for (int q = 0; q < n; q++) {
      assertEquals(want[q], got[q], 1e-10 * Math.max(1, Math.abs(want[q])), "query " + q);
    }
  }

  @Test
  void blockedWhiteningEqualsTheTriangularProduct() {
    int d = 37;  // blocks of 4 and 5 rows
    int n = 6;
    java.util.Random rng = new java.util.Random(11);
    double[] a = new double[d * d + d];  // padded, as whitener gives it
    for (int r = 0; r < d; r++) {
      for (int c = 0; c <= r; c++) {
        a[r * d + c] = rng.nextGaussian();
      }
    }
    double[] x = new double[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    double[] z = Mahalanobis.whiten(a, x, n, d);
    for (int k = 0; k < n; k++) {
      for (int r = 0; r < d; r++) {
        double e = 0;
        for (int c = 0; c <= r; c++) {
          e += a[r * d + c] * x[k * d + c];
        }
        org.junit.jupiter.api.Assertions.assertEquals(e, z[k * d + r], 1e-12, "row " + k + ", " + r);
      }
    }
  }

  @Test
  void scoreEqualsMinusMinimumDistanceWithExplicit3x3Inverse() {
    check(2, new int[] {0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0}, 0, 1);
  }

  @Test
  void ridgeIsAddedAsAFractionOfTheMeanVariance() {
    check(2, new int[] {0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0}, 0.1, 2);
  }

  @Test
  void classesWithoutTrainingSamplesAreSkipped() {
    check(3, new int[] {0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0}, 0, 3);
  }

  @Test
  void singularCovarianceWithoutRidgeIsRejectedNamingThePivot() {
    // The third feature is constant: zero variance.
    double[] train = {0, 1, 5, 1, 0, 5, 2, 2, 5, 1, 3, 5};
    FeatureStats stats = new FeatureStatsAccumulator(1, D, true).add(train, new double[4], new int[4], 4).result();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OodMethods.create("mahalanobis", new LinearHead(1, D, new double[D], new double[1]), stats,
            MethodOptions.defaults().withCovarianceRidge(0)));
    assertEquals("matrix is not positive definite: pivot 2 is 0.0", e.getMessage());
  }
}
