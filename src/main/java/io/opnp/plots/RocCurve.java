package io.opnp.plots;

import io.opnp.math.Check;
import io.opnp.math.OodMetrics;
import io.opnp.math.ThresholdCounts;
import java.util.Arrays;

/**
 * The ROC curve of an OOD score for plotting, ID as the positive class and a higher score meaning
 * more in-distribution (as {@link io.opnp.math.OodMetrics}). Point 0 is (FPR 0, TPR 0) at threshold
 * +∞; then one point per distinct score t, highest first, with TPR = the fraction of ID scores ≥ t
 * and FPR = the fraction of OOD scores ≥ t (ties form one point), ending at (1, 1). Immutable.
 */
public final class RocCurve {
  private final double[] fpr;
  private final double[] tpr;
  private final double[] thresholds;

  private RocCurve(double[] fpr, double[] tpr, double[] thresholds) {
    this.fpr = fpr;
    this.tpr = tpr;
    this.thresholds = thresholds;
  }

  public static RocCurve of(double[] idScores, double[] oodScores) {
    Check.argument(idScores != null && idScores.length > 0, "no in-distribution scores: the ID set is empty");
    Check.argument(oodScores != null && oodScores.length > 0, "no OOD scores: the OOD set is empty");
    OodMetrics.checkFinite(idScores, "ID");
    OodMetrics.checkFinite(oodScores, "OOD");
    double[] id = idScores.clone();
    double[] ood = oodScores.clone();
    Arrays.sort(id);
    Arrays.sort(ood);
    ThresholdCounts c = ThresholdCounts.descending(id, ood);
    int points = c.points() + 1;
    double[] f = new double[points];
    double[] t = new double[points];
    double[] th = new double[points];
    th[0] = Double.POSITIVE_INFINITY;
    for (int k = 0; k < c.points(); k++) {
      t[k + 1] = (double) c.tps()[k] / id.length;
      f[k + 1] = (double) c.fps()[k] / ood.length;
      th[k + 1] = c.thresholds()[k];
    }
    return new RocCurve(f, t, th);
  }

  /** The number of points, including the (0, 0) start. */
  public int size() {
    return fpr.length;
  }

  public double[] fpr() {
    return fpr.clone();
  }

  public double[] tpr() {
    return tpr.clone();
  }

  /** The threshold of each point: +∞ for the first, then the distinct scores in descending order. */
  public double[] thresholds() {
    return thresholds.clone();
  }

  public double fpr(int point) {
    return fpr[point];
  }

  public double tpr(int point) {
    return tpr[point];
  }

  public double threshold(int point) {
    return thresholds[point];
  }

  /** Trapezoidal area under the curve; equals {@link io.opnp.math.OodMetrics#auroc()}. */
  public double auroc() {
    double area = 0;
    for (int k = 1; k < fpr.length; k++) {
      area += (fpr[k] - fpr[k - 1]) * (tpr[k] + tpr[k - 1]) / 2;
    }
    return area;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RocCurve r && Arrays.equals(fpr, r.fpr) && Arrays.equals(tpr, r.tpr)
        && Arrays.equals(thresholds, r.thresholds);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(fpr) + Arrays.hashCode(tpr)) + Arrays.hashCode(thresholds);
  }

  @Override
  public String toString() {
    return String.format("RocCurve[%d points, AUROC %.4f]", fpr.length, auroc());
  }
}
