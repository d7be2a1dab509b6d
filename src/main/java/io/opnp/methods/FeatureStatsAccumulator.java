package io.opnp.methods;

import io.opnp.math.Check;
import java.io.Serializable;

/**
 * Float64 sums over the in-distribution training features that the post-hoc methods are fitted on:
 * the count, per-class feature sums and counts, the total feature sum, the sum of max logits and,
 * optionally, the sum of outer products {@code Σ h hᵀ} (D×D, for Mahalanobis and ViM).
 *
 * <p>Like {@link io.opnp.math.SensitivityAccumulator}, {@link #add} and {@link #merge} mutate and
 * return {@code this}, so an empty accumulator is the zero value of a Spark {@code treeAggregate}.
 * The outer products are summed block by block over the upper triangle ({@link #addOuterProducts}). Memory: C·D + D (+ D² with second
 * moments) doubles.
 */
public final class FeatureStatsAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int classes;
  private final int dim;
  private final boolean secondMoments;
  private final double[] classSums;   // C×D row-major
  private final long[] classCounts;   // C
  private final double[] sum;         // D
  private final double[] outerSums;   // D×D column-major (+ D padding), upper triangle filled; null without second moments
  private double maxLogitSum;
  private long count;

  /**
   * @param secondMoments whether to accumulate {@code Σ h hᵀ}; needed by mahalanobis and vim
   */
  public FeatureStatsAccumulator(int classes, int dim, boolean secondMoments) {
    this.classes = Check.positive(classes, "classes");
    this.dim = Check.positive(dim, "dim");
    this.secondMoments = secondMoments;
    this.classSums = new double[Math.multiplyExact(classes, dim)];
    this.classCounts = new long[classes];
    this.sum = new double[dim];
    this.outerSums = secondMoments ? new double[Math.addExact(Math.multiplyExact(dim, dim), dim)] : null;
  }

  /**
   * Adds a batch of n training samples.
   *
   * @param features n×D row-major penultimate features h
   * @param logits n×C row-major logits f = W h + b (only their row maxima are used)
   * @param labels n class labels in [0, C)
   */
  public FeatureStatsAccumulator add(double[] features, double[] logits, int[] labels, int n) {
    Check.argument(n >= 0, "batch size must be >= 0, got %s", n);
    if (n == 0) {
      return this;
    }
    Check.capacity(features, (long) n * dim, "features");
    Check.capacity(logits, (long) n * classes, "logits");
    Check.argument(labels != null && labels.length >= n, "labels must have at least %s values, got %s", n,
        labels == null ? "null" : labels.length);
    for (int k = 0; k < n; k++) {
      int y = labels[k];
      Check.argument(y >= 0 && y < classes, "label %s of sample %s is outside [0, %s)", y, k, classes);
    }
    for (int i = 0, len = n * dim; i < len; i++) {
      Check.argument(Double.isFinite(features[i]), "feature value %s of sample %s is not finite",
          features[i], i / dim);
    }
    for (int k = 0; k < n; k++) {
      int row = k * dim;
      int cls = labels[k] * dim;
      for (int j = 0; j < dim; j++) {
        double v = features[row + j];
        classSums[cls + j] += v;
        sum[j] += v;
      }
      classCounts[labels[k]]++;
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < classes; i++) {
        max = Math.max(max, logits[k * classes + i]);
      }
      maxLogitSum += max;
    }
    if (secondMoments) {
      addOuterProducts(features, n);
    }
    count += n;
    return this;
  }

  /** Blocks of the upper triangle summed on their own. */
  private static final int BLOCKS = 8;

  /**
   * {@code Σ h hᵀ += Hᵀ H}, upper triangle only, as 36 block products of 8 × 8 blocks. netlib's Java
   * BLAS runs the dot-product form ({@code dgemm "T","N"}) about twice as fast per multiply-add as
   * {@code dsyrk} or {@code dgemm "N","T"}, so the rows are transposed once (O(nD), against the
   * O(nD²) product) and only the blocks on or above the diagonal are multiplied: at D = 2048 and 512
   * rows, about 230 ms against dsyrk's 370 ms. {@link #outerSums} is padded by D because netlib checks
   * a block's reach as if it spanned whole columns.
   */
  private void addOuterProducts(double[] features, int n) {
    double[] t = new double[dim * n];  // Hᵀ, D×n row-major: column-major n×D
    for (int k = 0; k < n; k++) {
      for (int j = 0; j < dim; j++) {
        t[j * n + k] = features[k * dim + j];
      }
    }
    dev.ludovic.netlib.blas.BLAS blas = io.opnp.math.Blas.get();
    // The upper triangle's block (r, c), r ≤ c, is the lower triangle's (c, r): column-major S[r0…, c0…]
    // (rows×cols) += H[:, r0…]ᵀ (rows×n) · H[:, c0…] (n×cols).
    io.opnp.math.TriangleBlocks.lower(dim, BLOCKS, (c0, cols, r0, rows) ->
        blas.dgemm("T", "N", rows, cols, n, 1.0, t, r0 * n, n, t, c0 * n, n, 1.0, outerSums, c0 * dim + r0, dim));
  }

  /** {@link #add(double[], double[], int[], int)} for float32 model outputs, widened to float64. */
  public FeatureStatsAccumulator add(float[] features, float[] logits, int[] labels, int n) {
    Check.argument(n >= 0, "batch size must be >= 0, got %s", n);
    Check.capacity(features, (long) n * dim, "features");
    Check.capacity(logits, (long) n * classes, "logits");
    int len = n * dim;
    double[] f = new double[len];
    double[] l = new double[n * classes];
    for (int i = 0; i < len; i++) {
      f[i] = features[i];
    }
    for (int i = 0; i < l.length; i++) {
      l[i] = logits[i];
    }
    return add(f, l, labels, n);
  }

  /** Adds another accumulator's sums into this one. */
  public FeatureStatsAccumulator merge(FeatureStatsAccumulator other) {
    Check.argument(other.classes == classes && other.dim == dim,
        "cannot merge feature statistics of shape %sx%s into %sx%s", other.classes, other.dim, classes, dim);
    Check.argument(other.secondMoments == secondMoments,
        "cannot merge feature statistics with secondMoments=%s into secondMoments=%s",
        other.secondMoments, secondMoments);
    addInto(classSums, other.classSums);
    addInto(sum, other.sum);
    for (int i = 0; i < classes; i++) {
      classCounts[i] += other.classCounts[i];
    }
    if (secondMoments) {
      addInto(outerSums, other.outerSums);
    }
    maxLogitSum += other.maxLogitSum;
    count += other.count;
    return this;
  }

  private static void addInto(double[] into, double[] from) {
    for (int i = 0; i < into.length; i++) {
      into[i] += from[i];
    }
  }

  public long count() {
    return count;
  }

  /** The means, class means and (with second moments) {@code E[h hᵀ]}, as an immutable result. */
  public FeatureStats result() {
    Check.argument(count > 0, "no samples were accumulated: the training set is empty");
    double[] mean = new double[dim];
    for (int j = 0; j < dim; j++) {
      mean[j] = sum[j] / count;
    }
    double[] classMeans = new double[classSums.length];
    for (int i = 0; i < classes; i++) {
      if (classCounts[i] > 0) {
        for (int j = 0; j < dim; j++) {
          classMeans[i * dim + j] = classSums[i * dim + j] / classCounts[i];
        }
      }
    }
    double[] secondMoment = null;
    if (secondMoments) {
      secondMoment = new double[dim * dim];
      // outerSums holds the upper triangle of a column-major matrix: element (r, c) with r <= c at c·D + r.
      for (int c = 0; c < dim; c++) {
        for (int r = 0; r <= c; r++) {
          double v = outerSums[c * dim + r] / count;
          secondMoment[r * dim + c] = v;
          secondMoment[c * dim + r] = v;
        }
      }
    }
    return new FeatureStats(classes, dim, count, classCounts.clone(), mean, classMeans, secondMoment,
        maxLogitSum / count);
  }
}
