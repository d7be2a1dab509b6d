package io.opnp.methods;

import io.opnp.math.Check;
import java.util.Arrays;

/** Percentiles with NumPy's default ("linear") interpolation, as {@code np.percentile(a, q)}. */
final class Percentile {
  private Percentile() {}

  /**
   * The q-th percentile of {@code values}: with the values sorted ascending as v_0..v_{n-1},
   * {@code r = q/100·(n−1)}, the result is {@code v_⌊r⌋ + (r−⌊r⌋)(v_⌊r⌋+1 − v_⌊r⌋)}.
   */
  static double of(double[] values, double q) {
    Check.argument(values != null && values.length > 0, "percentile of an empty array");
    Check.argument(q >= 0 && q <= 100, "percentile must be in [0, 100], got %s", q);
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double rank = q / 100.0 * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    if (lo >= sorted.length - 1) {
      return sorted[sorted.length - 1];
    }
    double frac = rank - lo;
    return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
  }
}
