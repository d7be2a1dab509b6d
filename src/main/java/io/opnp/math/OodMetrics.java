package io.opnp.math;

import java.util.Arrays;

/**
 * OOD-detection metrics, a higher score meaning more in-distribution. Curves are built at every
 * distinct score (ties form one point):
 * <ul>
 *   <li>FPR95 (the classic one, of the OPNP, Energy and ReAct papers; ID positive): the fraction of
 *       OOD samples scoring at or above the largest threshold that keeps at least 95 % of ID samples;</li>
 *   <li>FPR95, OpenOOD v1.5's (OOD positive, scored by −S): the fraction of ID samples flagged as OOD
 *       at the threshold that first catches 95 % of the OOD samples, as
 *       {@code fpr[argmax(tpr >= 0.95)]} over scikit-learn's {@code roc_curve(ood, -S,
 *       drop_intermediate=False)}; OpenOOD keeps scikit-learn's default, which can drop the point
 *       where 95 % is first reached when it lies on a straight segment of the curve;</li>
 *   <li>AUROC: trapezoidal area under the ROC curve (equals the Mann–Whitney U with ties as ½);</li>
 *   <li>AUPR-In / AUPR-Out: trapezoidal area under the precision–recall curve with ID (resp. OOD,
 *       scored by −S) as positive, as scikit-learn's {@code auc(recall, precision)} over
 *       {@code precision_recall_curve}: the curve stops at the first full recall and starts at
 *       (recall 0, precision 1).</li>
 * </ul>
 */
public record OodMetrics(double fpr95, double auroc, double auprIn, double auprOut, double fpr95OpenOod) {

  public static final double TPR_LEVEL = 0.95;

  public static OodMetrics of(double[] idScores, double[] oodScores) {
    Check.argument(idScores.length > 0, "no in-distribution scores: the ID test set is empty");
    Check.argument(oodScores.length > 0, "no OOD scores: the OOD set is empty");
    checkFinite(idScores, "ID");
    checkFinite(oodScores, "OOD");
    double[] id = idScores.clone();
    double[] ood = oodScores.clone();
    Arrays.sort(id);
    Arrays.sort(ood);
    Curve inCurve = Curve.descending(id, ood);
    double[] negId = negateReversed(id);
    double[] negOod = negateReversed(ood);
    Curve outCurve = Curve.descending(negOod, negId);
    return new OodMetrics(inCurve.fprAtTpr(TPR_LEVEL), inCurve.rocArea(), inCurve.prArea(), outCurve.prArea(),
        outCurve.fprAtTpr(TPR_LEVEL));
  }

  /** Rejects NaN and ±∞ scores, naming the first one. */
  public static void checkFinite(double[] scores, String which) {
    for (int i = 0; i < scores.length; i++) {
      Check.argument(Double.isFinite(scores[i]), "%s score %s at position %s is not finite", which, scores[i], i);
    }
  }

  private static double[] negateReversed(double[] ascending) {
    double[] out = new double[ascending.length];
    for (int i = 0; i < ascending.length; i++) {
      out[i] = -ascending[ascending.length - 1 - i];
    }
    return out;
  }

  /** The metrics computed from the counts at each distinct threshold, highest threshold first. */
  private static final class Curve {
    final long[] tps;
    final long[] fps;
    final int points;
    final long positives;
    final long negatives;

    private Curve(ThresholdCounts c) {
      this.tps = c.tps();
      this.fps = c.fps();
      this.points = c.points();
      this.positives = c.positives();
      this.negatives = c.negatives();
    }

    /** Both arrays sorted ascending; positives should score higher. */
    static Curve descending(double[] pos, double[] neg) {
      return new Curve(ThresholdCounts.descending(pos, neg));
    }

    double fprAtTpr(double level) {
      for (int k = 0; k < points; k++) {
        if ((double) tps[k] / positives >= level) {
          return (double) fps[k] / negatives;
        }
      }
      return 1.0;
    }

    double rocArea() {
      double area = 0;
      double prevTpr = 0;
      double prevFpr = 0;
      for (int k = 0; k < points; k++) {
        double tpr = (double) tps[k] / positives;
        double fpr = (double) fps[k] / negatives;
        area += (fpr - prevFpr) * (tpr + prevTpr) / 2;
        prevTpr = tpr;
        prevFpr = fpr;
      }
      return area;
    }

    double prArea() {
      double area = 0;
      double prevRecall = 0;
      double prevPrecision = 1;
      for (int k = 0; k < points; k++) {
        double recall = (double) tps[k] / positives;
        double precision = (double) tps[k] / (tps[k] + fps[k]);
        area += (recall - prevRecall) * (precision + prevPrecision) / 2;
        prevRecall = recall;
        prevPrecision = precision;
        if (tps[k] == positives) {
          break;  // scikit-learn's curve stops at the first full recall
        }
      }
      return area;
    }
  }
}
