package io.opnp.methods;

import io.opnp.math.Check;
import java.io.Serializable;

/**
 * A bank (or one shard of a bank) of L2-normalized training features for {@link Knn}. Rows are
 * normalized as in the authors' code, {@code z = h / (‖h‖ + 1e-10)}, so an all-zero row stays zero.
 * A bank sampled from a larger training set knows its sampling ratio α and scales every k by it, as
 * the KNN paper (Sun et al., ICML 2022) does: k = 1000 on all of ImageNet's training set, k = 10 on
 * an α = 1 % sample. Immutable.
 *
 * <p>The normalized rows are kept in float32: the distance pass is a float32 product
 * ({@link TopK}), which runs about 1.5 times faster than float64 in netlib's Java BLAS, and the bank,
 * broadcast to every executor, takes half the memory. Distances between unit vectors then differ
 * from float64's by about 1e-6 (tested below 1e-5), far below the gaps between neighbours that
 * decide a score's rank.
 */
public final class KnnBank implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int size;
  private final int dim;
  private final float[] rows;      // size×dim, normalized
  private final double[] norms2;   // ‖z‖² per row (1, or 0 for a zero row)
  private final long trainingRows;  // rows of the training set it was drawn from (size when it is all of them)

  private KnnBank(int size, int dim, float[] rows, long trainingRows) {
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
    return new KnnBank(m, dim, toFloat(normalize(features, m, dim)), trainingRows);
  }

  /** A bank saved earlier from {@link #normalizedRows()}: the rows are taken as they are. */
  public static KnnBank restore(double[] normalized, int m, int dim, long trainingRows) {
    Check.length(normalized, (long) m * dim, "saved bank rows");
    return new KnnBank(m, dim, toFloat(normalized), trainingRows);
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

  /** The normalized rows, m×D row-major (a copy, widened from float32), for saving. */
  public double[] normalizedRows() {
    double[] out = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = rows[i];
    }
    return out;
  }

  /** Values rounded to float32. */
  static float[] toFloat(double[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) v[i];
    }
    return out;
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

  /** ‖z‖² of each float32 row, summed in float64. */
  static double[] squaredNorms(float[] rows, int n, int dim) {
    double[] out = new double[n];
    for (int k = 0; k < n; k++) {
      double s = 0;
      for (int j = 0; j < dim; j++) {
        double v = rows[k * dim + j];
        s += v * v;
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

  float[] rows() {
    return rows;
  }

  double[] norms2() {
    return norms2;
  }
}
