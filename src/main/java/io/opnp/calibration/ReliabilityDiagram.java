package io.opnp.calibration;

import io.opnp.math.Check;
import java.util.List;

/**
 * Per-bin calibration of a classifier (Guo et al., "On Calibration of Modern Neural Networks",
 * ICML 2017): the confidences are split into equal-width bins {@code (0, 1/B], (1/B, 2/B], …,
 * ((B-1)/B, 1]} (a confidence of exactly 0 joins the first bin), and each bin records how many
 * samples it holds, their mean confidence and their accuracy. {@link #ece()} is
 * {@code Σ_b |B_b|/n · |acc_b − conf_b|}. Built by {@link Calibration}; immutable.
 *
 * @param bins the bins in order of confidence, {@code bins().size()} of them
 * @param total the number of samples, the sum of the bins' counts
 * @param ece the expected calibration error, in [0, 1]
 */
public record ReliabilityDiagram(List<Bin> bins, long total, double ece) {

  /**
   * One confidence bin {@code (lower, upper]}; {@code meanConfidence} and {@code accuracy} are NaN
   * when the bin is empty.
   */
  public record Bin(double lower, double upper, long count, double meanConfidence, double accuracy) {
    public Bin {
      Check.argument(count >= 0, "bin count must not be negative, got %s", count);
    }

    public boolean isEmpty() {
      return count == 0;
    }

    /** {@code accuracy − meanConfidence}: negative when over-confident; NaN when empty. */
    public double gap() {
      return accuracy - meanConfidence;
    }
  }

  public ReliabilityDiagram {
    Check.argument(bins != null && !bins.isEmpty(), "a reliability diagram needs at least one bin");
    bins = List.copyOf(bins);
    long sum = 0;
    for (Bin b : bins) {
      sum += b.count();
    }
    Check.argument(sum == total, "bin counts add up to %s, not the total %s", sum, total);
    Check.argument(ece >= 0 && ece <= 1, "ECE must be in [0, 1], got %s", ece);
  }

  public int binCount() {
    return bins.size();
  }

  public Bin bin(int index) {
    return bins.get(index);
  }
}
