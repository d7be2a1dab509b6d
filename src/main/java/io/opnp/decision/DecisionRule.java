package io.opnp.decision;

import io.opnp.math.Check;
import java.io.Serializable;

/**
 * How a detector decides, in one place for every entry point (detect, the streaming monitor, the
 * recommendation's test figures, {@code OodDetectorModel}): an input is flagged OOD when its score is
 * strictly below the threshold; its p-value is conformal over the held-out ID scores; a set of inputs
 * looks shifted when the 95 % interval of its flagged share and the interval of the expected
 * false-alarm rate do not overlap (comparing with the point estimate alone would call a large ID set
 * shifted for the calibration set's own noise).
 *
 * @param pValues the held-out ID scores' p-values
 * @param expectedRate the expected share of ID inputs flagged
 * @param expectedInterval its interval
 */
public record DecisionRule(double threshold, ConformalPValues pValues, double expectedRate, Interval expectedInterval)
    implements Serializable {
  private static final long serialVersionUID = 1L;
  /** The confidence of every flagged-share interval. */
  public static final double LEVEL = 0.95;

  public DecisionRule {
    Check.argument(!Double.isNaN(threshold), "a decision rule needs a threshold, got NaN");
    java.util.Objects.requireNonNull(pValues, "pValues");
    java.util.Objects.requireNonNull(expectedInterval, "expectedInterval");
  }

  /** The rule itself: flagged when the score is strictly below the threshold. */
  public static boolean flags(double score, double threshold) {
    return score < threshold;
  }

  public boolean flags(double score) {
    return flags(score, threshold);
  }

  public double pValue(double score) {
    return pValues.pValue(score);
  }

  /** A share of flagged inputs with its Wilson interval. */
  public record Share(long flagged, long scored, double rate, Interval interval) {
    public static Share of(long flagged, long scored) {
      return new Share(flagged, scored, scored == 0 ? 0 : (double) flagged / scored,
          BinomialInterval.wilson(flagged, scored, LEVEL));
    }

    /** The share of {@code scores} a threshold flags. */
    public static Share of(double[] scores, double threshold) {
      long flagged = 0;
      for (double s : scores) {
        flagged += flags(s, threshold) ? 1 : 0;
      }
      return of(flagged, scores.length);
    }
  }

  /** Whether an observed share is unlike in-distribution data (never for an empty set). */
  public boolean shifted(Share observed) {
    Interval expected = expectedInterval;
    return observed.scored() > 0
        && (observed.interval().lower() > expected.upper() || observed.interval().upper() < expected.lower());
  }
}
