package io.opnp.methods;

import io.opnp.math.Check;
import java.io.Serializable;

/**
 * Every sum the methods are fitted on, in one pass over the ID training features: the statistics
 * of the features ({@link FeatureStats}: Mahalanobis, RMDS, ViM, DICE, fDBD, NCI), of the
 * L2-normalized features (MDS++, RMDS++), of the correctly classified samples' features by class
 * (SHE's stored patterns) and of the softmax outputs by predicted class (KL matching's templates).
 * Like its parts, {@link #add} and {@link #merge} mutate and return {@code this}.
 */
public final class TrainingSums implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int classes;
  private final int dim;
  private final FeatureStatsAccumulator features;
  private final FeatureStatsAccumulator normalized;
  private final FeatureStatsAccumulator correct;
  private final FeatureStatsAccumulator softmax;

  public TrainingSums(int classes, int dim) {
    this.classes = Check.positive(classes, "classes");
    this.dim = Check.positive(dim, "dim");
    features = new FeatureStatsAccumulator(classes, dim, true);
    normalized = new FeatureStatsAccumulator(classes, dim, true);
    correct = new FeatureStatsAccumulator(classes, dim, false);
    softmax = new FeatureStatsAccumulator(classes, classes, false);
  }

  /** The fitted statistics; each part may be read on its own ({@code correct} is null when no sample was). */
  public record Result(FeatureStats features, FeatureStats normalized, FeatureStats correct, FeatureStats softmax)
      implements Serializable {}

  /** The four statistics of a {@link Result}, each saved and restored on its own. */
  public enum Slice {
    FEATURES, NORMALIZED, CORRECT, SOFTMAX;

    public FeatureStats of(Result r) {
      return switch (this) {
        case FEATURES -> r.features();
        case NORMALIZED -> r.normalized();
        case CORRECT -> r.correct();
        case SOFTMAX -> r.softmax();
      };
    }
  }

  /**
   * Adds n samples: features n×D, logits n×C (the model's, f = W h + b), labels in [0, C).
   */
  public TrainingSums add(double[] h, double[] logits, int[] labels, int n) {
    features.add(h, logits, labels, n);
    if (n == 0) {
      return this;
    }
    normalized.add(normalizedRows(h, n, dim), logits, labels, n);
    double[] p = new double[n * classes];
    int[] predicted = new int[n];
    double[] right = new double[n * dim];
    double[] rightLogits = new double[n * classes];
    int[] rightLabels = new int[n];
    int r = 0;
    for (int k = 0; k < n; k++) {
      predicted[k] = PredictedClassMethod.argmax(logits, k * classes, classes);
      softmaxRow(logits, k * classes, classes, p, k * classes);
      if (predicted[k] == labels[k]) {
        System.arraycopy(h, k * dim, right, r * dim, dim);
        System.arraycopy(logits, k * classes, rightLogits, r * classes, classes);
        rightLabels[r++] = labels[k];
      }
    }
    correct.add(right, rightLogits, rightLabels, r);
    softmax.add(p, logits, predicted, n);
    return this;
  }

  public TrainingSums merge(TrainingSums other) {
    Check.argument(other.classes == classes && other.dim == dim, "cannot merge training sums of shape %sx%s into %sx%s",
        other.classes, other.dim, classes, dim);
    features.merge(other.features);
    normalized.merge(other.normalized);
    correct.merge(other.correct);
    softmax.merge(other.softmax);
    return this;
  }

  public long count() {
    return features.count();
  }

  public Result result() {
    return new Result(features.result(), normalized.result(), correct.count() > 0 ? correct.result() : null,
        softmax.result());
  }

  /** Rows divided by their L2 norm, no epsilon (as Mahalanobis++); an all-zero row stays zero. */
  public static double[] normalizedRows(double[] h, int n, int dim) {
    double[] out = new double[n * dim];
    for (int k = 0; k < n; k++) {
      double s = 0;
      for (int j = 0; j < dim; j++) {
        s += h[k * dim + j] * h[k * dim + j];
      }
      double inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (int j = 0; j < dim; j++) {
        out[k * dim + j] = h[k * dim + j] * inv;
      }
    }
    return out;
  }

  /** softmax(f) of one row into {@code out} at {@code at}. */
  static void softmaxRow(double[] f, int offset, int c, double[] out, int at) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < c; i++) {
      max = Math.max(max, f[offset + i]);
    }
    double sum = 0;
    for (int i = 0; i < c; i++) {
      out[at + i] = Math.exp(f[offset + i] - max);
      sum += out[at + i];
    }
    for (int i = 0; i < c; i++) {
      out[at + i] /= sum;
    }
  }
}
