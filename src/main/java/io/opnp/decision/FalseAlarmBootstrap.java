package io.opnp.decision;

import io.opnp.math.Check;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How far the false-alarm rate of a threshold set on a finite calibration set can be from the
 * nominal 1 − keep. The threshold is itself random (an order statistic of the calibration scores),
 * so the interval is for the procedure: each resample sets its own threshold τ* with
 * {@link Threshold#keeping}, and the share of the original calibration scores below τ* stands in
 * for the false-alarm rate on fresh ID inputs.
 */
public final class FalseAlarmBootstrap {
  public static final int DEFAULT_RESAMPLES = 1000;
  public static final double DEFAULT_LEVEL = 0.95;

  private FalseAlarmBootstrap() {}

  /** {@link #interval(double[], double, int, double, long)} with the default resamples and level. */
  public static FalseAlarmEstimate interval(double[] calibrationIdScores, double keep, long seed) {
    return interval(calibrationIdScores, keep, DEFAULT_RESAMPLES, DEFAULT_LEVEL, seed);
  }

  /**
   * The percentile bootstrap: the interval runs between the (1 − level)/2 and (1 + level)/2
   * quantiles (linear interpolation) of the resampled false-alarm rates. Resample j draws n indices
   * into the sorted scores with {@code SplittableRandom(seed).nextInt(n)}, so results reproduce
   * from the seed. As the resample's k-th order statistic is the sorted score at the k-th smallest
   * drawn index, a counting pass over the indices replaces sorting each resample.
   */
  public static FalseAlarmEstimate interval(double[] calibrationIdScores, double keep, int resamples, double level,
      long seed) {
    double[] sorted = Threshold.sortedCopy(calibrationIdScores);
    int n = sorted.length;
    int k = Threshold.rank(n, keep);
    Check.positive(resamples, "resamples");
    Check.argument(level > 0 && level < 1, "confidence level must be in (0, 1), got %s", level);
    double threshold = sorted[k - 1];
    double estimate = (double) below(sorted, threshold) / n;

    SplittableRandom random = new SplittableRandom(seed);
    int[] drawn = new int[n];
    double[] rates = new double[resamples];
    for (int r = 0; r < resamples; r++) {
      Arrays.fill(drawn, 0);
      for (int i = 0; i < n; i++) {
        drawn[random.nextInt(n)]++;
      }
      int index = -1;
      for (int seen = 0; seen < k; ) {
        seen += drawn[++index];
      }
      rates[r] = (double) below(sorted, sorted[index]) / n;
    }
    Arrays.sort(rates);
    Interval interval = new Interval(quantile(rates, (1 - level) / 2), quantile(rates, (1 + level) / 2), level);
    return new FalseAlarmEstimate(threshold, estimate, interval, resamples);
  }

  /** How many sorted values are strictly below t: the first index holding a value ≥ t. */
  private static int below(double[] sorted, double t) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The p-quantile of sorted values, interpolating linearly between order statistics (numpy's default). */
  private static double quantile(double[] sorted, double p) {
    double h = (sorted.length - 1) * p;
    int i = (int) Math.floor(h);
    int j = Math.min(i + 1, sorted.length - 1);
    return sorted[i] + (h - i) * (sorted[j] - sorted[i]);
  }
}
