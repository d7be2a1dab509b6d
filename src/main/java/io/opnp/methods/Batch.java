package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One batch of features being scored, by one method or by many at once ({@link OodMethods#scoreAll}).
 * What several methods derive from the same rows is computed once, on first use, and kept for the
 * batch: a head's product {@code H·Wᵀ} and logits (MSP, energy, GEN, fDBD, NCI, SHE, KL matching,
 * ViM, NNGuide, GradNorm, SCALE), each row's activations in descending order (every ASH and SCALE
 * percentile), the product of ASH's kept features (ASH-P and ASH-S), the class-conditional
 * Mahalanobis distances (Mahalanobis and RMDS), the L2-normalized rows (MDS++ and RMDS++), the KNN
 * distances (every k). A method scored alone runs the same code on a batch of its own, so scoring
 * together gives each method's own scores bit for bit. Not thread-safe: one per batch and thread.
 */
public final class Batch {
  private final double[] features;
  private final int n;
  private final int dim;
  private final Map<Object, Object> shared = new HashMap<>();
  private int products;

  /**
   * @param features n×D row-major features (not modified; may be longer than n·D)
   */
  public Batch(double[] features, int n, int dim) {
    Check.argument(n >= 0, "batch size must be >= 0, got %s", n);
    Check.positive(dim, "dim");
    Check.capacity(features, (long) n * dim, "features");
    this.features = features;
    this.n = n;
    this.dim = dim;
  }

  /** The features, n×D row-major (possibly longer: read the first n rows only). */
  public double[] features() {
    return features;
  }

  public int size() {
    return n;
  }

  public int dim() {
    return dim;
  }

  /**
   * The value kept under {@code key}, made by {@code make} the first time. Keys compare by
   * {@code equals}: records of the inputs that decide the value (heads compare by identity).
   */
  @SuppressWarnings("unchecked")
  <T> T shared(Object key, Supplier<T> make) {
    Object v = shared.get(key);
    if (v == null) {
      v = make.get();  // may itself read shared values, so not computeIfAbsent
      shared.put(key, v);
    }
    return (T) v;
  }

  /** Checks that {@code head} reads features of this batch's width. */
  private void checkWidth(LinearHead head) {
    Check.argument(head.dim() == dim, "head of dimension %s cannot score features of dimension %s", head.dim(), dim);
  }

  /** {@code H·Wᵀ} (n×C, no bias) of {@code head} on these features. */
  double[] product(LinearHead head) {
    checkWidth(head);
    return shared(new Product(head, null), () -> count(head.product(features, n)));
  }

  private double[] count(double[] product) {
    products++;
    return product;
  }

  /** How many head products (n×D by D×C) this batch has computed so far. */
  public int products() {
    return products;
  }

  /** {@code H·Wᵀ + b} (n×C) of {@code head} on these features (the array is shared: do not modify it). */
  public double[] logits(LinearHead head) {
    return shared(new Logits(head), () -> head.withBias(product(head), n));
  }

  /** {@code X·Wᵀ} of features {@code x} derived from these rows, kept under {@code derivation}'s name. */
  double[] product(LinearHead head, Object derivation, Supplier<double[]> x) {
    checkWidth(head);
    return shared(new Product(head, derivation), () -> count(head.product(x.get(), n)));
  }

  /** Each row's values sorted in descending order (n×D). */
  double[] descending() {
    return shared(Descending.KEY, () -> {
      double[] out = new double[n * dim];
      double[] row = new double[dim];
      for (int k = 0; k < n; k++) {
        System.arraycopy(features, k * dim, row, 0, dim);
        Arrays.sort(row);
        for (int j = 0; j < dim; j++) {
          out[k * dim + j] = row[dim - 1 - j];
        }
      }
      return out;
    });
  }

  /** Each row's sum {@code Σ_j h_j}, in index order. */
  double[] rowSums() {
    return shared(RowSums.KEY, () -> {
      double[] out = new double[n];
      for (int k = 0; k < n; k++) {
        double s = 0;
        for (int j = 0; j < dim; j++) {
          s += features[k * dim + j];
        }
        out[k] = s;
      }
      return out;
    });
  }

  /** A batch of rows derived from these (e.g. L2-normalized), with its own shared values, kept under {@code key}. */
  Batch derived(Object key, Supplier<double[]> rows) {
    return shared(new Derived(key), () -> new Batch(rows.get(), n, dim));
  }

  private record Product(LinearHead head, Object derivation) {}

  private record Logits(LinearHead head) {}

  private record Derived(Object key) {}

  private enum Descending { KEY }

  private enum RowSums { KEY }
}
