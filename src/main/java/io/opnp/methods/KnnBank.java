package io.opnp.methods;

import io.opnp.math.Check;
import java.io.Serializable;

/**
 * A bank (or one shard of a bank) of L2-normalized training features for {@link Knn}. Rows are
 * normalized as in the authors' code, {@code z = h / (‖h‖ + 1e-10)}, so an all-zero row stays zero.
 * A bank sampled from a larger training set knows its sampling ratio α and scales every k by it, as
 * the KNN paper (Sun et al., ICML 2022) does: k = 1000 on all of ImageNet's training set, k = 10 on
 * an α = 1 % sample. Immutable.
 */
public final class KnnBank implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int size;
  private final int dim;
  private final double[] rows;     // size×dim, normalized
  private final double[] norms2;   // ‖z‖² per row (1, or 0 for a zero row)
  private final long trainingRows;  // rows of the training set it was drawn from (size when it is all of them)

  private KnnBank(int size, int dim, double[] rows, long trainingRows) {
    Check.argument(trainingRows >= size, "a bank of %s rows cannot come from %s training rows", size, trainingRows);
    this.size = size;
    this.dim = dim;
    this.rows = rows;
    this.norms2 = squaredNorms(rows, size, dim);
    this.trainingRows = trainingRows;
  }

  /** A bank of the m raw feature rows in {@code features} (m×D row-major), normalized here: all of them. */
  public static KnnBank of(double[] features, int m, int dim) {
    return sampled(features, m, dim, m);
  }

  /** As {@link #of}, the m rows a uniform sample of {@code trainingRows} training rows. */
  public static KnnBank sampled(double[] features, int m, int dim, long trainingRows) {
    Check.argument(m >= 0, "bank size must be >= 0, got %s", m);
    Check.positive(dim, "dim");
    Check.capacity(features, (long) m * dim, "bank features");
    return new KnnBank(m, dim, normalize(features, m, dim), trainingRows);
  }

  /** A bank saved earlier from {@link #normalizedRows()}: the rows are taken as they are. */
  public static KnnBank restore(double[] normalized, int m, int dim, long trainingRows) {
    Check.length(normalized, (long) m * dim, "saved bank rows");
    return new KnnBank(m, dim, normalized.clone(), trainingRows);
  }

  public long trainingRows() {
    return trainingRows;
  }

  /** α, the share of the training set in the bank. */
  public double fraction() {
    return trainingRows == 0 ? 1 : (double) size / trainingRows;
  }

  /** The k to use with this bank for a k meant for the whole training set: k·α, at least 1. */
  public int scaledK(int k) {
    return size == trainingRows ? k : (int) Math.max(1, Math.round(k * fraction()));
  }

  /** The normalized rows, m×D row-major (a copy), for saving. */
  public double[] normalizedRows() {
    return rows.clone();
  }

  /** {@code z = h / (‖h‖ + 1e-10)} row by row, into a new n×D array. */
  public static double[] normalize(double[] features, int n, int dim) {
    double[] z = new double[n * dim];
    for (int k = 0; k < n; k++) {
      double s = 0;
      for (int j = 0; j < dim; j++) {
        double v = features[k * dim + j];
        Check.argument(Double.isFinite(v), "feature value %s of row %s is not finite", v, k);
        s += v * v;
      }
      double scale = 1 / (Math.sqrt(s) + 1e-10);
      for (int j = 0; j < dim; j++) {
        z[k * dim + j] = features[k * dim + j] * scale;
      }
    }
    return z;
  }

  static double[] squaredNorms(double[] rows, int n, int dim) {
    double[] out = new double[n];
    for (int k = 0; k < n; k++) {
      double s = 0;
      for (int j = 0; j < dim; j++) {
        s += rows[k * dim + j] * rows[k * dim + j];
      }
      out[k] = s;
    }
    return out;
  }

  public int size() {
    return size;
  }

  public int dim() {
    return dim;
  }

  double[] rows() {
    return rows;
  }

  double[] norms2() {
    return norms2;
  }
}
