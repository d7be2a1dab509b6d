package io.opnp.math;

/**
 * Cumulative counts of positives and negatives scoring at or above each distinct score, highest
 * score first (ties form one point): the points every ROC and precision–recall curve is made of.
 */
public record ThresholdCounts(double[] thresholds, long[] tps, long[] fps, long positives, long negatives) {

  /** Both arrays sorted ascending; positives are expected to score higher. */
  public static ThresholdCounts descending(double[] pos, double[] neg) {
    int cap = pos.length + neg.length;
    double[] th = new double[cap];
    long[] tps = new long[cap];
    long[] fps = new long[cap];
    int p = pos.length - 1;
    int q = neg.length - 1;
    long tp = 0;
    long fp = 0;
    int points = 0;
    while (p >= 0 || q >= 0) {
      double t = Math.max(p >= 0 ? pos[p] : Double.NEGATIVE_INFINITY, q >= 0 ? neg[q] : Double.NEGATIVE_INFINITY);
      while (p >= 0 && pos[p] == t) {
        tp++;
        p--;
      }
      while (q >= 0 && neg[q] == t) {
        fp++;
        q--;
      }
      th[points] = t;
      tps[points] = tp;
      fps[points] = fp;
      points++;
    }
    return new ThresholdCounts(java.util.Arrays.copyOf(th, points), java.util.Arrays.copyOf(tps, points),
        java.util.Arrays.copyOf(fps, points), pos.length, neg.length);
  }

  /** Number of distinct thresholds. */
  public int points() {
    return thresholds.length;
  }
}
