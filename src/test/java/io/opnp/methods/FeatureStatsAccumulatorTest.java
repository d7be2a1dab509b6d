package io.opnp.methods;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FeatureStatsAccumulatorTest {
  static final int C = 3;
  static final int D = 4;

  /** A random training set: features n×D, logits n×C, labels (class 2 left empty when asked). */
  static final class Data {
    final int n;
    final double[] h;
    final double[] f;
    final int[] y;

    Data(int n, long seed, boolean emptyLastClass) {
      Random rnd = new Random(seed);
      this.n = n;
      h = new double[n * D];
      f = new double[n * C];
      y = new int[n];
      for (int k = 0; k < n; k++) {
        y[k] = rnd.nextInt(emptyLastClass ? C - 1 : C);
        for (int j = 0; j < D; j++) {
          h[k * D + j] = rnd.nextGaussian() + 2 * y[k] * (j == y[k] ? 1 : 0) + 0.5;
        }
        for (int i = 0; i < C; i++) {
          f[k * C + i] = rnd.nextGaussian();
        }
      }
    }

    double[] rows(int from, int to, double[] a, int width) {
      return java.util.Arrays.copyOfRange(a, from * width, to * width);
    }

    int[] labels(int from, int to) {
      return java.util.Arrays.copyOfRange(y, from, to);
    }
  }

  @Test
  void mergeOfPartitionsEqualsSingleAccumulation() {
    Data d = new Data(23, 1, false);
    FeatureStats single = new FeatureStatsAccumulator(C, D, true).add(d.h, d.f, d.y, d.n).result();
    FeatureStatsAccumulator a = new FeatureStatsAccumulator(C, D, true).add(d.rows(0, 9, d.h, D), d.rows(0, 9, d.f, C),
        d.labels(0, 9), 9);
    FeatureStatsAccumulator b = new FeatureStatsAccumulator(C, D, true)
        .add(d.rows(9, 15, d.h, D), d.rows(9, 15, d.f, C), d.labels(9, 15), 6)
        .add(d.rows(15, 23, d.h, D), d.rows(15, 23, d.f, C), d.labels(15, 23), 8);
    FeatureStats merged = new FeatureStatsAccumulator(C, D, true).merge(a).merge(b).result();
    assertEquals(single.count(), merged.count());
    for (int c = 0; c < C; c++) {
      assertEquals(single.classCount(c), merged.classCount(c));
    }
    assertArrayEquals(single.mean(), merged.mean(), 1e-13);
    assertArrayEquals(single.classMeans(), merged.classMeans(), 1e-13);
    assertArrayEquals(single.secondMoment(), merged.secondMoment(), 1e-13);
    assertArrayEquals(single.sharedCovariance(), merged.sharedCovariance(), 1e-13);
    assertEquals(single.meanMaxLogit(), merged.meanMaxLogit(), 1e-13);
  }

  @Test
  void statisticsEqualExplicitLoops() {
    Data d = new Data(31, 2, false);
    FeatureStats s = new FeatureStatsAccumulator(C, D, true).add(d.h, d.f, d.y, d.n).result();
    double[] mean = new double[D];
    double[] classMeans = new double[C * D];
    int[] counts = new int[C];
    double maxLogit = 0;
    for (int k = 0; k < d.n; k++) {
      counts[d.y[k]]++;
      double m = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < C; i++) {
        m = Math.max(m, d.f[k * C + i]);
      }
      maxLogit += m / d.n;
      for (int j = 0; j < D; j++) {
        mean[j] += d.h[k * D + j] / d.n;
        classMeans[d.y[k] * D + j] += d.h[k * D + j];
      }
    }
    for (int c = 0; c < C; c++) {
      for (int j = 0; j < D; j++) {
        classMeans[c * D + j] /= counts[c];
      }
    }
    // Σ = (1/m) Σ_k (h_k − μ_{y_k})(h_k − μ_{y_k})ᵀ, the two-pass way.
    double[] cov = new double[D * D];
    double[] second = new double[D * D];
    for (int k = 0; k < d.n; k++) {
      for (int r = 0; r < D; r++) {
        for (int q = 0; q < D; q++) {
          double a = d.h[k * D + r] - classMeans[d.y[k] * D + r];
          double b = d.h[k * D + q] - classMeans[d.y[k] * D + q];
          cov[r * D + q] += a * b / d.n;
          second[r * D + q] += d.h[k * D + r] * d.h[k * D + q] / d.n;
        }
      }
    }
    assertArrayEquals(mean, s.mean(), 1e-13);
    assertArrayEquals(classMeans, s.classMeans(), 1e-13);
    assertArrayEquals(second, s.secondMoment(), 1e-13);
    assertArrayEquals(cov, s.sharedCovariance(), 1e-12);
    assertEquals(maxLogit, s.meanMaxLogit(), 1e-13);

    double[] u = {0.3, -1, 2, 0};
    double[] about = new double[D * D];
    for (int k = 0; k < d.n; k++) {
      for (int r = 0; r < D; r++) {
        for (int q = 0; q < D; q++) {
          about[r * D + q] += (d.h[k * D + r] - u[r]) * (d.h[k * D + q] - u[q]) / d.n;
        }
      }
    }
    assertArrayEquals(about, s.momentAbout(u), 1e-12);
  }

  @Test
  void secondMomentsOfUnevenBlocksEqualExplicitOuterProducts() {
    // D = 37 splits into blocks of 4 and 5 columns; two batches exercise the accumulation across calls.
    int d = 37;
    int n = 29;
    java.util.Random rng = new java.util.Random(37);
    double[] h = new double[n * d];
    for (int i = 0; i < h.length; i++) {
      h[i] = rng.nextGaussian();
    }
    double[] f = new double[n];
    int[] y = new int[n];
    FeatureStatsAccumulator acc = new FeatureStatsAccumulator(1, d, true);
    acc.add(java.util.Arrays.copyOfRange(h, 0, 11 * d), f, y, 11);
    acc.add(java.util.Arrays.copyOfRange(h, 11 * d, n * d), f, y, n - 11);
    double[] m = acc.result().secondMoment();
    for (int r = 0; r < d; r++) {
      for (int c = 0; c < d; c++) {
        double e = 0;
        for (int k = 0; k < n; k++) {
          e += h[k * d + r] * h[k * d + c];
        }
        assertEquals(e / n, m[r * d + c], 1e-12, "(" + r + ", " + c + ")");
      }
    }
  }

  @Test
  void floatBatchesEqualTheirFloat64Widening() {
    Data d = new Data(5, 3, false);
    float[] hf = new float[d.h.length];
    float[] ff = new float[d.f.length];
    double[] hw = new double[d.h.length];
    double[] fw = new double[d.f.length];
    for (int i = 0; i < hf.length; i++) {
      hf[i] = (float) d.h[i];
      hw[i] = hf[i];
    }
    for (int i = 0; i < ff.length; i++) {
      ff[i] = (float) d.f[i];
      fw[i] = ff[i];
    }
    FeatureStats a = new FeatureStatsAccumulator(C, D, true).add(hf, ff, d.y, d.n).result();
    FeatureStats b = new FeatureStatsAccumulator(C, D, true).add(hw, fw, d.y, d.n).result();
    assertArrayEquals(b.secondMoment(), a.secondMoment(), 0);
    assertArrayEquals(b.classMeans(), a.classMeans(), 0);
  }

  @Test
  void classWithoutSamplesHasZeroCountAndZeroMean() {
    Data d = new Data(12, 4, true);
    FeatureStats s = new FeatureStatsAccumulator(C, D, false).add(d.h, d.f, d.y, d.n).result();
    assertEquals(0, s.classCount(C - 1));
    for (int j = 0; j < D; j++) {
      assertEquals(0, s.classMeans()[(C - 1) * D + j]);
    }
  }

  @Test
  void rejectsLabelOutsideTheClasses() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FeatureStatsAccumulator(C, D, false).add(new double[D], new double[C], new int[] {3}, 1));
    assertEquals("label 3 of sample 0 is outside [0, 3)", e.getMessage());
  }

  @Test
  void covarianceWithoutSecondMomentsSaysHowToGetThem() {
    Data d = new Data(4, 5, false);
    FeatureStats s = new FeatureStatsAccumulator(C, D, false).add(d.h, d.f, d.y, d.n).result();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, s::sharedCovariance);
    assertEquals("the shared covariance needs second moments: accumulate with "
        + "new FeatureStatsAccumulator(classes, dim, true)", e.getMessage());
  }

  @Test
  void mergeRejectsDifferentShapes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FeatureStatsAccumulator(C, D, true).merge(new FeatureStatsAccumulator(C, D + 1, true)));
    assertEquals("cannot merge feature statistics of shape 3x5 into 3x4", e.getMessage());
  }

  @Test
  void emptyAccumulatorHasNoResult() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FeatureStatsAccumulator(C, D, true).result());
    assertEquals("no samples were accumulated: the training set is empty", e.getMessage());
  }
}
