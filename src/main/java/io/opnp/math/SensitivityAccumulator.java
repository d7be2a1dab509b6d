package io.opnp.math;

import dev.ludovic.netlib.blas.BLAS;
import java.io.Serializable;

/**
 * Float64 sums of the absolute energy gradients over a stream of samples (DESIGN §1).
 *
 * <p>For a batch with softmax probabilities P (n×C) and features H (n×D):
 * {@code Σ|∂E/∂W| = Pᵀ|H|} (p ≥ 0, so |p_i h_j| = p_i |h_j|) and {@code Σ|∂E/∂h| = Σ_k |(P W)_k|}.
 * Both are computed as BLAS matrix products, never per-element loops over samples. Like Spark
 * MLlib's summarizers, {@link #add} and {@link #merge} mutate and return {@code this}, so the
 * accumulator works as the zero value of a {@code treeAggregate}.
 */
public final class SensitivityAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int classes;
  private final int dim;
  private final double temperature;
  // Allocated with the first sample: an empty accumulator (a treeAggregate's zero value, which
  // Spark serializes into every task) stays a few bytes instead of C×D doubles (16 MB for ResNet-50).
  private double[] weightSums;  // C×D, row-major
  private double[] neuronSums;  // D
  private long count;
  private long skipped;

  // Per-batch scratch, reused between batches and never serialized.
  private transient double[] probs;
  private transient double[] absFeatures;
  private transient double[] featureGrads;

  public SensitivityAccumulator(int classes, int dim, double temperature) {
    this.classes = Check.positive(classes, "classes");
    this.dim = Check.positive(dim, "dim");
    this.temperature = Check.finitePositive(temperature, "temperature");
    Math.multiplyExact(classes, dim);  // fail now, not at the first sample, if C×D cannot be an array
  }

  private void allocate() {
    if (weightSums == null) {
      weightSums = new double[classes * dim];
      neuronSums = new double[dim];
    }
  }

  /**
   * Adds a batch of n samples.
   *
   * @param features n×D row-major penultimate features h
   * @param logits n×C row-major logits f
   * @param weight C×D row-major last-layer weight W
   */
  public SensitivityAccumulator add(float[] features, float[] logits, int n, double[] weight) {
    Check.argument(n >= 0, "batch size must be >= 0, got %s", n);
    if (n == 0) {
      return this;
    }
    Check.capacity(features, (long) n * dim, "features");
    Check.capacity(logits, (long) n * classes, "logits");
    Check.length(weight, (long) classes * dim, "weight");
    ensureScratch(n);
    allocate();
    for (int k = 0; k < n; k++) {
      Energy.softmax(logits, k * classes, classes, temperature, probs, k * classes);
    }
    for (int i = 0, len = n * dim; i < len; i++) {
      absFeatures[i] = Math.abs(features[i]);
    }
    BLAS blas = io.opnp.math.Blas.get();
    // Row-major X is column-major Xᵀ. weightSums (C×D) += Pᵀ|H| is, column-major, D×C += |H|ᵀ(D×n) · P(n×C).
    blas.dgemm("N", "T", dim, classes, n, 1.0, absFeatures, dim, probs, classes, 1.0, weightSums, dim);
    // Q (n×D) = P (n×C) · W (C×D); column-major: Qᵀ (D×n) = Wᵀ (D×C) · Pᵀ (C×n).
    blas.dgemm("N", "N", dim, n, classes, 1.0, weight, dim, probs, classes, 0.0, featureGrads, dim);
    for (int k = 0; k < n; k++) {
      int row = k * dim;
      for (int j = 0; j < dim; j++) {
        neuronSums[j] += Math.abs(featureGrads[row + j]);
      }
    }
    count += n;
    return this;
  }

  /** Adds another accumulator's sums into this one. */
  public SensitivityAccumulator merge(SensitivityAccumulator other) {
    Check.argument(other.classes == classes && other.dim == dim,
        "cannot merge sums of shape %sx%s into %sx%s", other.classes, other.dim, classes, dim);
    Check.argument(other.temperature == temperature,
        "cannot merge sums at temperature %s into %s", other.temperature, temperature);
    if (other.weightSums != null) {
      allocate();
      for (int i = 0; i < weightSums.length; i++) {
        weightSums[i] += other.weightSums[i];
      }
      for (int j = 0; j < dim; j++) {
        neuronSums[j] += other.neuronSums[j];
      }
    }
    count += other.count;
    skipped += other.skipped;
    return this;
  }

  public long count() {
    return count;
  }

  /** Counts images left out because they could not be read (reported, never averaged over). */
  public SensitivityAccumulator skip(long images) {
    skipped += images;
    return this;
  }

  public long skipped() {
    return skipped;
  }

  public int classes() {
    return classes;
  }

  public int dim() {
    return dim;
  }

  public double temperature() {
    return temperature;
  }

  /** The means {@code Mw = Σ|∂E/∂W| / m} and {@code Mo = Σ|∂E/∂h| / m}. */
  public Sensitivity result(String modelName, String modelSha256) {
    Check.argument(count > 0, "no samples were accumulated: the training set is empty");
    double[] mw = new double[weightSums.length];
    for (int i = 0; i < mw.length; i++) {
      mw[i] = weightSums[i] / count;
    }
    double[] mo = new double[dim];
    for (int j = 0; j < dim; j++) {
      mo[j] = neuronSums[j] / count;
    }
    return new Sensitivity(classes, dim, count, temperature, mw, mo, modelName, modelSha256);
  }

  private void ensureScratch(int n) {
    if (probs == null || probs.length < n * classes) {
      probs = new double[n * classes];
      absFeatures = new double[n * dim];
      featureGrads = new double[n * dim];
    }
  }
}
