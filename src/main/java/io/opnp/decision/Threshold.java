package io.opnp.decision;

import io.opnp.math.Check;
import java.util.Arrays;

/**
 * The threshold that lets a chosen share of ID inputs pass, and the share it rejects. Inputs scoring
 * strictly below the threshold are flagged OOD.
 */
public final class Threshold {
  private Threshold() {}

  /**
   * The order statistic s_(k), k = floor(n·(1−keep)) + 1 of the ID scores, so that at least n·keep
   * of them score at or above it (ties only raise the share). It is the highest such score: the
   * strictest threshold that still keeps the promise on these scores.
   *
   * @param keep the share of ID inputs that must pass, in (0, 1), e.g. 0.95
   */
  public static double keeping(double[] idScores, double keep) {
    double[] sorted = sortedCopy(idScores);
    return sorted[rank(sorted.length, keep) - 1];
  }

  /** The share of scores strictly below the threshold: the ID inputs it would flag as OOD. */
  public static double falseAlarmRate(double[] idScores, double threshold) {
    checkScores(idScores);
    Check.argument(!Double.isNaN(threshold), "threshold must not be NaN");
    return DecisionRule.Share.of(idScores, threshold).rate();
  }

  /**
   * The 1-indexed k of {@link #keeping}. Computed as n − ceil(n·keep) + 1, the same integer in exact
   * arithmetic, because 1 − 0.9 rounds to 0.09999999999999998 and floor(10·that) would make keep =
   * 0.9 of 10 scores keep all 10; a few ulps of slack likewise absorb the rounding of n·keep.
   */
  static int rank(int n, double keep) {
    Check.argument(keep > 0 && keep < 1, "keep must be in (0, 1), got %s", keep);
    double passing = (double) n * keep;
    long mustPass = (long) Math.ceil(passing - 4 * Math.ulp(passing));
    return (int) (n - Math.max(1, Math.min(n, mustPass)) + 1);
  }

  static double[] sortedCopy(double[] idScores) {
    checkScores(idScores);
    double[] sorted = idScores.clone();
    Arrays.sort(sorted);
    return sorted;
  }

  static void checkScores(double[] scores) {
    Check.argument(scores != null && scores.length > 0, "ID scores must not be empty");
    for (int i = 0; i < scores.length; i++) {
      Check.argument(Double.isFinite(scores[i]), "ID score at index %s is %s; scores must be finite", i, scores[i]);
    }
  }
}
