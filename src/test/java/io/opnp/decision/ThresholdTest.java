package io.opnp.decision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ThresholdTest {
  /**
   * Brute force from the definition: of the scores t with at least ceil(n·keep) scores ≥ t (keep read
   * as the decimal it is written as, in exact arithmetic), the largest.
   */
  private static double bruteForce(double[] scores, double keep) {
    int mustPass = new BigDecimal(Double.toString(keep)).multiply(BigDecimal.valueOf(scores.length))
        .setScale(0, RoundingMode.CEILING).intValueExact();
    double best = Double.NEGATIVE_INFINITY;
    for (double t : scores) {
      if (atOrAbove(scores, t) >= mustPass && t > best) {
        best = t;
      }
    }
    return best;
  }

  private static int atOrAbove(double[] scores, double t) {
    int count = 0;
    for (double s : scores) {
      count += s >= t ? 1 : 0;
    }
    return count;
  }

  @Test
  void agreesWithBruteForceOnRandomScoresWithTies() {
    Random random = new Random(20240601L);
    double[] usual = {0.5, 0.8, 0.9, 0.95, 0.99, 0.999};
    for (int trial = 0; trial < 1000; trial++) {
      int n = 1 + random.nextInt(500);
      double[] scores = new double[n];
      double scale = random.nextBoolean() ? 10 : 1000;  // coarse rounding makes many ties
      for (int i = 0; i < n; i++) {
        scores[i] = Math.round(random.nextGaussian() * scale) / scale;
      }
      double keep = trial % 3 == 0 ? usual[random.nextInt(usual.length)] : (1 + random.nextInt(999)) / 1000.0;
      double[] before = scores.clone();
      double tau = Threshold.keeping(scores, keep);
      String where = "trial " + trial + ", n = " + n + ", keep = " + keep;
      assertEquals(bruteForce(scores, keep), tau, where);
      int passing = atOrAbove(scores, tau);
      assertTrue((double) passing / n >= keep, where + ": only " + passing + " pass");
      assertEquals((double) (n - passing) / n, Threshold.falseAlarmRate(scores, tau), where);
      assertArrayEquals(before, scores, "the input is not modified");
    }
  }

  @Test
  void decimalKeepIsNotUndoneByRounding() {
    // 1 − 0.9 rounds to 0.09999999999999998: floor(10 · that) + 1 would be 1, keeping all ten
    assertEquals(2.0, Threshold.keeping(ascending(10), 0.9));
    assertEquals(2.0, Threshold.keeping(ascending(20), 0.95));
    assertEquals(6.0, Threshold.keeping(ascending(100), 0.95));
    assertEquals(0.05, Threshold.falseAlarmRate(ascending(100), 6.0));
    assertEquals(1.0, Threshold.keeping(ascending(19), 0.95), "18.05 must pass, so all 19 do");
  }

  @Test
  void tiesOnlyRaiseTheShareKept() {
    double[] scores = {3, 3, 3, 3, 1};
    assertEquals(3.0, Threshold.keeping(scores, 0.8));
    assertEquals(1.0, Threshold.keeping(scores, 0.81));
    assertEquals(0.2, Threshold.falseAlarmRate(scores, 3.0));
    assertEquals(0.0, Threshold.falseAlarmRate(new double[] {2, 2, 2}, Threshold.keeping(new double[] {2, 2, 2}, 0.5)));
  }

  @Test
  void flagsOnlyScoresStrictlyBelowTheThreshold() {
    double[] scores = {1, 2, 2, 3};
    assertEquals(0.25, Threshold.falseAlarmRate(scores, 2));
    assertEquals(0.0, Threshold.falseAlarmRate(scores, 1));
    assertEquals(1.0, Threshold.falseAlarmRate(scores, Double.POSITIVE_INFINITY));
  }

  @Test
  void rejectsBadArgumentsNamingThem() {
    assertEquals("ID scores must not be empty", message(() -> Threshold.keeping(new double[0], 0.95)));
    assertEquals("ID scores must not be empty", message(() -> Threshold.keeping(null, 0.95)));
    assertEquals("ID score at index 2 is NaN; scores must be finite",
        message(() -> Threshold.keeping(new double[] {1, 2, Double.NaN}, 0.95)));
    assertEquals("ID score at index 0 is -Infinity; scores must be finite",
        message(() -> Threshold.falseAlarmRate(new double[] {Double.NEGATIVE_INFINITY}, 0)));
    assertEquals("keep must be in (0, 1), got 1.0", message(() -> Threshold.keeping(new double[] {1}, 1.0)));
    assertEquals("keep must be in (0, 1), got 0.0", message(() -> Threshold.keeping(new double[] {1}, 0.0)));
    assertEquals("keep must be in (0, 1), got 95.0", message(() -> Threshold.keeping(new double[] {1}, 95)));
    assertEquals("threshold must not be NaN", message(() -> Threshold.falseAlarmRate(new double[] {1}, Double.NaN)));
  }

  static double[] ascending(int n) {
    double[] s = new double[n];
    for (int i = 0; i < n; i++) {
      s[i] = n - i;  // given descending, to be sure the method sorts
    }
    return s;
  }

  static String message(Runnable call) {
    return assertThrows(IllegalArgumentException.class, call::run).getMessage();
  }
}
