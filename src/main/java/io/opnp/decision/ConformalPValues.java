package io.opnp.decision;

import java.io.Serializable;

/**
 * Conformal p-values for the null hypothesis "this input is ID", from calibration ID scores. If the
 * calibration and test inputs are exchangeable, P(p ≤ α) ≤ α for any α, with no assumption on the
 * score distribution: flagging p ≤ α bounds the false-alarm rate by α. Small p-values mean the
 * score is lower than most ID scores. Immutable.
 */
public final class ConformalPValues implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double[] sorted;

  /** The calibration scores are copied; they must be finite and not empty. */
  public ConformalPValues(double[] calibrationIdScores) {
    this.sorted = Threshold.sortedCopy(calibrationIdScores);
  }

  /** (1 + #{calibration scores ≤ score}) / (n + 1); NaN for a NaN score. */
  public double pValue(double score) {
    if (Double.isNaN(score)) {
      return Double.NaN;
    }
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {  // first index holding a value > score
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= score) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return (1.0 + lo) / (sorted.length + 1.0);
  }

  public int size() {
    return sorted.length;
  }

  /** The calibration scores in ascending order, as a copy. */
  public double[] sortedScores() {
    return sorted.clone();
  }
}
