package io.opnp.math;

import java.io.Serializable;

/**
 * The classifier's last layer {@code f = W h + b} in float64, and the energy score it gives.
 * Immutable; {@link #pruned} returns a new head.
 */
public final class LinearHead implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int classes;
  private final int dim;
  private final double[] weight;  // C×D row-major
  private final double[] bias;    // C

  public LinearHead(int classes, int dim, double[] weight, double[] bias) {
    this.classes = Check.positive(classes, "classes");
    this.dim = Check.positive(dim, "dim");
    Check.length(weight, (long) classes * dim, "weight");
    Check.length(bias, classes, "bias");
    for (int i = 0; i < weight.length; i++) {
      Check.argument(Double.isFinite(weight[i]), "weight value %s at flat index %s is not finite", weight[i], i);
    }
    this.weight = weight.clone();
    this.bias = bias.clone();
  }

  public int classes() {
    return classes;
  }

  public int dim() {
    return dim;
  }

  /** W as a copy, C×D row-major. */
  public double[] weight() {
    return weight.clone();
  }

  public double[] bias() {
    return bias.clone();
  }

  /**
   * The OPNP head: {@code (W ⊙ mask_w)(h ⊙ mask_o) + b}. Zeroing neuron j equals zeroing column j
   * of W, so the pruned head is again a plain linear layer. The bias is kept.
   */
  public LinearHead pruned(PruningPlan plan) {
    Check.argument(plan.classes() == classes && plan.dim() == dim,
        "plan shape %sx%s does not match head shape %sx%s", plan.classes(), plan.dim(), classes, dim);
    double[] w = weight.clone();
    for (int i = 0; i < classes; i++) {
      for (int j = 0; j < dim; j++) {
        if (!plan.keepsWeight(i, j) || !plan.keepsNeuron(j)) {
          w[i * dim + j] = 0;
        }
      }
    }
    return new LinearHead(classes, dim, w, bias);
  }

  /**
   * Logits of a batch, {@code out (n×C) = H (n×D) · Wᵀ + b}, as one BLAS product.
   *
   * @param features n×D row-major features, already in float64
   */
  public void logits(double[] features, int n, double[] out) {
    Check.capacity(out, (long) n * classes, "logits output");
    System.arraycopy(withBias(product(features, n), n), 0, out, 0, n * classes);
  }

  /** {@code H (n×D) · Wᵀ} without the bias, n×C row-major, as one BLAS product. */
  public double[] product(double[] features, int n) {
    Check.capacity(features, (long) n * dim, "features");
    double[] out = new double[n * classes];
    if (n > 0) {
      // Column-major: outᵀ (C×n) = W (C×D) · Hᵀ (D×n); row-major W is column-major Wᵀ, hence "T".
      io.opnp.math.Blas.get().dgemm("T", "N", classes, n, dim, 1.0, weight, dim, features, dim, 0.0, out, classes);
    }
    return out;
  }

  /** {@code r_k·product_k + b} per row k: the logits of the rows scaled by {@code rowScales}, as a new array. */
  public double[] withBias(double[] product, double[] rowScales, int n) {
    Check.capacity(product, (long) n * classes, "product");
    Check.capacity(rowScales, n, "row scales");
    double[] out = new double[n * classes];
    for (int k = 0; k < n; k++) {
      for (int i = 0; i < classes; i++) {
        out[k * classes + i] = rowScales[k] * product[k * classes + i] + bias[i];
      }
    }
    return out;
  }

  /** {@code product + b} per row: the logits of a product from {@link #product}, as a new array. */
  public double[] withBias(double[] product, int n) {
    Check.capacity(product, (long) n * classes, "product");
    double[] out = new double[n * classes];
    for (int k = 0; k < n; k++) {
      for (int i = 0; i < classes; i++) {
        out[k * classes + i] = product[k * classes + i] + bias[i];
      }
    }
    return out;
  }

}
