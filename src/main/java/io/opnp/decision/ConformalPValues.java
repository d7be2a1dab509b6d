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

  /** The share of the calibration scores, lowest first, whose spread sets the tail's scale (at least {@link #TAIL_MIN}). */
  public static final double TAIL_SHARE = 0.05;
  public static final int TAIL_MIN = 5;

  private final double[] sorted;
  /** The scale of the exponential tail below the lowest calibration score; 0 when the lowest scores are all equal. */
  private final double tailScale;

  /** The calibration scores are copied; they must be finite and not empty. */
  public ConformalPValues(double[] calibrationIdScores) {
    this.sorted = Threshold.sortedCopy(calibrationIdScores);
    int k = Math.min(sorted.length, Math.max(TAIL_MIN, (int) Math.ceil(TAIL_SHARE * sorted.length)));
    double excess = 0;
    for (int i = 0; i < k; i++) {
      excess += sorted[i] - sorted[0];
    }
    this.tailScale = excess / k;
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

  /**
   * The p-value, continued below the lowest calibration score, for ranking inputs (a fusion's members): there the
   * step p-value is 1/(n+1) however far below an input scores, so the inputs more unusual than every calibration
   * score all tie, and with a few hundred calibration scores most OOD inputs of a good detector do (measured on a real
   * 10-class model: a fusion of two detectors at 99.0 and 99.2 % AUROC scored 98.3 %; BENCHMARKS.md, part 3). Below
   * the lowest score it falls as an exponential tail, 1/(n+1) · exp(−(lowest − score) / β), β the mean distance of the
   * lowest max(5, 5 % of n) calibration scores from the lowest (the exponential peaks-over-threshold fit). Equal to
   * {@link #pValue} at and above the lowest score. Not a valid p-value below 1/(n+1): decisions and reported p-values
   * use {@link #pValue}.
   */
  public double rankingPValue(double score) {
    double p = pValue(score);
    if (Double.isNaN(p) || score >= sorted[0] || !(tailScale > 0)) {
      return p;
    }
    return p * Math.exp(-(sorted[0] - score) / tailScale);
  }

  public int size() {
    return sorted.length;
  }

  /** The calibration scores in ascending order, as a copy. */
  public double[] sortedScores() {
    return sorted.clone();
  }
}
