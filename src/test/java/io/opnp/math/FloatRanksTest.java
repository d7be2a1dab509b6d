package io.opnp.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FloatRanksTest {
  /** np.percentile's linear interpolation on a sorted copy: the independent reference. */
  private static double sorted(double[] v, double q) {
    double[] s = v.clone();
    Arrays.sort(s);
    double r = q / 100.0 * (s.length - 1);
    int lo = (int) Math.floor(r);
    return lo >= s.length - 1 ? s[s.length - 1] : s[lo] + (r - lo) * (s[lo + 1] - s[lo]);
  }

  private static double[] bothPasses(double[][] parts, double[] qs) {
    FloatRanks.High high = new FloatRanks.High();
    for (double[] p : parts) {
      high.merge(new FloatRanks.High().add(p, p.length));
    }
    int[] buckets = FloatRanks.buckets(high, FloatRanks.ranks(qs, high.count()));
    FloatRanks.Low low = new FloatRanks.Low(buckets);
    for (double[] p : parts) {
      low.merge(new FloatRanks.Low(buckets).add(p, p.length));
    }
    return FloatRanks.percentiles(high, low, qs);
  }

  @Test
  void percentilesEqualSortingAndInterpolatingOnReluLikeValuesSplitAcrossPartitions() {
    Random r = new Random(7);
    double[] qs = {0, 1, 50, 80, 85, 90, 95, 99, 99.9, 100};
    for (int trial = 0; trial < 20; trial++) {
      int n = 1 + r.nextInt(20_000);
      double[] all = new double[n];
      for (int i = 0; i < n; i++) {
        // Many exact zeros, ties, negatives and -0.0 among them, as post-ReLU features and odd inputs give.
        double g = r.nextGaussian();
        all[i] = (float) (trial % 3 == 0 ? g : trial % 3 == 1 ? Math.max(0, g) : Math.round(g * 4) / 4.0);
        if (i % 97 == 0) {
          all[i] = -0.0;
        }
      }
      int cut1 = r.nextInt(n + 1);
      int cut2 = cut1 + r.nextInt(n - cut1 + 1);
      double[][] parts = {Arrays.copyOfRange(all, 0, cut1), Arrays.copyOfRange(all, cut1, cut2),
          Arrays.copyOfRange(all, cut2, n)};
      double[] got = bothPasses(parts, qs);
      for (int i = 0; i < qs.length; i++) {
        double want = sorted(all, qs[i]);
        assertEquals(want, got[i], Math.ulp(want) * 4 + 1e-300, "trial " + trial + " n " + n + " q " + qs[i]);
      }
    }
  }

  @Test
  void keysOrderFloatsIncludingSignedZerosAndInfinities() {
    float[] v = {Float.NEGATIVE_INFINITY, -3e38f, -1f, -Float.MIN_VALUE, -0f, 0f, Float.MIN_VALUE, 1f, 3e38f,
        Float.POSITIVE_INFINITY};
    for (int i = 0; i + 1 < v.length; i++) {
      assertTrue(Integer.compareUnsigned(FloatRanks.key(v[i]), FloatRanks.key(v[i + 1])) < 0, v[i] + " < " + v[i + 1]);
      assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(FloatRanks.value(FloatRanks.key(v[i]))));
    }
  }

  @Test
  void outOfRangePercentileIsRefusedNamingIt() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> FloatRanks.ranks(new double[] {101}, 10));
    assertEquals("percentile must be in [0, 100], got 101.0", e.getMessage());
  }
}
