package io.opnp.decision;

import static io.opnp.decision.ThresholdTest.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BinomialIntervalTest {
  private static final double Z95 = 1.959963984540054;

  /** The closed formula, written out independently of the implementation. */
  private static double[] wilson(double s, double n, double z) {
    double p = s / n;
    double center = (s + z * z / 2) / (n + z * z);
    double half = z * Math.sqrt(n) / (n + z * z) * Math.sqrt(p * (1 - p) + z * z / (4 * n));
    return new double[] {center - half, center + half};
  }

  @Test
  void wilsonMatchesTheClosedFormulaAndPublishedValues() {
    long[][] cases = {{0, 10}, {5, 10}, {50, 100}, {3, 1000}, {10, 10}};
    for (long[] c : cases) {
      Interval i = BinomialInterval.wilson(c[0], c[1], 0.95);
      double[] expected = wilson(c[0], c[1], Z95);
      assertEquals(Math.max(0, expected[0]), i.lower(), 1e-12, c[0] + " of " + c[1]);
      assertEquals(Math.min(1, expected[1]), i.upper(), 1e-12, c[0] + " of " + c[1]);
      assertEquals(0.95, i.level());
    }
    assertEquals(0.0, BinomialInterval.wilson(0, 10, 0.95).lower());
    assertEquals(0.2775, BinomialInterval.wilson(0, 10, 0.95).upper(), 5e-5);
    assertEquals(0.2366, BinomialInterval.wilson(5, 10, 0.95).lower(), 5e-5);
    assertEquals(0.7634, BinomialInterval.wilson(5, 10, 0.95).upper(), 5e-5);
    assertEquals(0.4038, BinomialInterval.wilson(50, 100, 0.95).lower(), 5e-5);
    assertEquals(1.0, BinomialInterval.wilson(10, 10, 0.95).upper());
  }

  @Test
  void zScoreMatchesKnownNormalQuantiles() {
    assertEquals(0.6744897501960817, BinomialInterval.zScore(0.5), 1e-12);
    assertEquals(1.6448536269514722, BinomialInterval.zScore(0.9), 1e-12);
    assertEquals(Z95, BinomialInterval.zScore(0.95), 1e-12);
    assertEquals(2.5758293035489004, BinomialInterval.zScore(0.99), 1e-12);
    assertEquals(3.2905267314918945, BinomialInterval.zScore(0.999), 1e-11);
    // commons-math3's erf⁻¹ is good to about 1e-9 this far out, irrelevant for an interval's width
    assertEquals(6.109410204869397, BinomialInterval.zScore(1 - 1e-9), 1e-8);
    assertEquals(1.0, BinomialInterval.zScore(0.6826894921370859), 1e-12);
  }

  @Test
  void staysInsideZeroOneAroundTheObservedShareAndNarrowsWithTrials() {
    Random random = new Random(5);
    for (int t = 0; t < 1000; t++) {
      long n = 1 + random.nextInt(10_000);
      long s = (long) (random.nextDouble() * (n + 1));
      s = Math.min(s, n);
      Interval i = BinomialInterval.wilson(s, n, 0.9);
      assertTrue(0 <= i.lower() && i.upper() <= 1 && i.contains((double) s / n), s + " of " + n + ": " + i);
    }
    Interval small = BinomialInterval.wilson(5, 100, 0.95);
    Interval large = BinomialInterval.wilson(50, 1000, 0.95);
    assertTrue(large.upper() - large.lower() < small.upper() - small.lower());
    assertEquals(new Interval(0, 1, 0.95), BinomialInterval.wilson(0, 0, 0.95));
  }

  @Test
  void intervalIsClosedAndChecked() {
    Interval i = new Interval(0.1, 0.2, 0.9);
    assertTrue(i.contains(0.1) && i.contains(0.2) && i.contains(0.15));
    assertFalse(i.contains(0.25) || i.contains(Double.NaN));
    assertEquals("interval lower bound 0.3 must not exceed upper bound 0.2", message(() -> new Interval(0.3, 0.2, 0.9)));
    assertEquals("confidence level must be in (0, 1), got 95.0", message(() -> new Interval(0, 1, 95)));
  }

  @Test
  void rejectsBadCounts() {
    assertEquals("successes must be in [0, trials = 10], got 11", message(() -> BinomialInterval.wilson(11, 10, 0.95)));
    assertEquals("successes must be in [0, trials = 10], got -1", message(() -> BinomialInterval.wilson(-1, 10, 0.95)));
    assertEquals("trials must not be negative, got -1", message(() -> BinomialInterval.wilson(0, -1, 0.95)));
    assertEquals("confidence level must be in (0, 1), got 1.0", message(() -> BinomialInterval.wilson(1, 10, 1.0)));
  }
}
