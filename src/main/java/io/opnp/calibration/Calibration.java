package io.opnp.calibration;

import io.opnp.calibration.ReliabilityDiagram.Bin;
import io.opnp.math.Check;
import java.util.ArrayList;
import java.util.List;

/**
 * Expected calibration error and reliability diagrams with equal-width confidence bins, as Guo et
 * al. (ICML 2017) define them: confidence = the maximum softmax probability, bin b =
 * {@code ((b-1)/B, b/B]} with the boundaries {@code k/B} as doubles and a confidence of exactly 0
 * in the first bin, {@code ECE = Σ_b |B_b|/n · |acc_b − conf_b|}. {@link #DEFAULT_BINS} = 15, as
 * in that paper and in OPNP's.
 */
public final class Calibration {
  public static final int DEFAULT_BINS = 15;

  private Calibration() {}

  /** The reliability diagram over {@link #DEFAULT_BINS} bins; {@code correct[i]} is whether sample i was right. */
  public static ReliabilityDiagram reliability(double[] confidences, boolean[] correct) {
    return reliability(confidences, correct, DEFAULT_BINS);
  }

  /** The reliability diagram over {@code bins} equal-width bins. */
  public static ReliabilityDiagram reliability(double[] confidences, boolean[] correct, int bins) {
    Check.positive(bins, "bins");
    Check.argument(confidences != null && confidences.length > 0, "no confidences: there are no samples");
    Check.argument(correct != null && correct.length == confidences.length,
        "correct must have %s values (one per confidence), got %s",
        confidences.length, correct == null ? "null" : correct.length);
    long[] counts = new long[bins];
    long[] hits = new long[bins];
    double[] confSums = new double[bins];
    for (int i = 0; i < confidences.length; i++) {
      double c = confidences[i];
      Check.argument(c >= 0 && c <= 1, "confidence %s at position %s is not in [0, 1]", c, i);  // false for NaN
      int b = binOf(c, bins);
      counts[b]++;
      confSums[b] += c;
      if (correct[i]) {
        hits[b]++;
      }
    }
    double n = confidences.length;
    double ece = 0;
    List<Bin> out = new ArrayList<>(bins);
    for (int b = 0; b < bins; b++) {
      double lower = (double) b / bins;
      double upper = (double) (b + 1) / bins;
      if (counts[b] == 0) {
        out.add(new Bin(lower, upper, 0, Double.NaN, Double.NaN));
        continue;
      }
      double meanConf = confSums[b] / counts[b];
      double acc = (double) hits[b] / counts[b];
      out.add(new Bin(lower, upper, counts[b], meanConf, acc));
      ece += Math.abs(hits[b] - confSums[b]) / n;  // = |B_b|/n · |acc_b − conf_b|
    }
    return new ReliabilityDiagram(out, confidences.length, Math.min(1, ece));
  }

  /** The reliability diagram over {@link #DEFAULT_BINS} bins; a sample is correct when its prediction equals its label. */
  public static ReliabilityDiagram reliability(double[] confidences, int[] predictions, int[] labels) {
    return reliability(confidences, predictions, labels, DEFAULT_BINS);
  }

  public static ReliabilityDiagram reliability(double[] confidences, int[] predictions, int[] labels, int bins) {
    Check.argument(confidences != null && confidences.length > 0, "no confidences: there are no samples");
    int n = confidences.length;
    Check.argument(predictions != null && predictions.length == n,
        "predictions must have %s values (one per confidence), got %s", n, predictions == null ? "null" : predictions.length);
    Check.argument(labels != null && labels.length == n,
        "labels must have %s values (one per confidence), got %s", n, labels == null ? "null" : labels.length);
    return reliability(confidences, correct(predictions, labels), bins);
  }

  /**
   * The reliability diagram of softmax outputs over {@link #DEFAULT_BINS} bins: each row of
   * {@code probabilities} is one sample's class probabilities; confidence = its maximum, prediction =
   * the first class attaining it.
   */
  public static ReliabilityDiagram fromProbabilities(double[][] probabilities, int[] labels) {
    Check.argument(probabilities != null && probabilities.length > 0, "no probabilities: there are no samples");
    int n = probabilities.length;
    Check.argument(labels != null && labels.length == n,
        "labels must have %s values (one per row of probabilities), got %s", n, labels == null ? "null" : labels.length);
    double[] conf = new double[n];
    int[] pred = new int[n];
    for (int i = 0; i < n; i++) {
      double[] p = probabilities[i];
      Check.argument(p != null && p.length > 0, "row %s of probabilities is empty", i);
      int arg = 0;
      for (int k = 0; k < p.length; k++) {
        Check.argument(p[k] >= 0 && p[k] <= 1, "probability %s at row %s, class %s is not in [0, 1]", p[k], i, k);
        if (p[k] > p[arg]) {
          arg = k;
        }
      }
      conf[i] = p[arg];
      pred[i] = arg;
    }
    return reliability(conf, pred, labels);
  }

  /** Shorthand for {@code reliability(confidences, correct).ece()}. */
  public static double ece(double[] confidences, boolean[] correct) {
    return reliability(confidences, correct).ece();
  }

  /** Shorthand for {@code reliability(confidences, predictions, labels).ece()}. */
  public static double ece(double[] confidences, int[] predictions, int[] labels) {
    return reliability(confidences, predictions, labels).ece();
  }

  /** The bin of confidence {@code c ∈ [0, 1]}: the b with {@code b/B < c ≤ (b+1)/B}, 0 for c = 0. */
  static int binOf(double c, int bins) {
    int b = (int) Math.ceil(c * bins) - 1;
    b = Math.max(0, Math.min(bins - 1, b));
    // c·B may round across a boundary; settle against the boundaries as the bins define them
    if (b > 0 && c <= (double) b / bins) {
      b--;
    } else if (b < bins - 1 && c > (double) (b + 1) / bins) {
      b++;
    }
    return b;
  }

  private static boolean[] correct(int[] predictions, int[] labels) {
    boolean[] out = new boolean[predictions.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = predictions[i] == labels[i];
    }
    return out;
  }
}
