package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * GradNorm (Huang, Geng, Li, "On the Importance of Gradients for Detecting Distributional Shifts in
 * the Wild", NeurIPS 2021): the L1 norm of the gradient, with respect to the last-layer weight W, of
 * the KL divergence between the uniform distribution u = 1/C and the softmax {@code p = softmax(f/T)}:
 * <pre>
 *   ∂D_KL(u ‖ p)/∂W_ij = (p_i − 1/C) h_j / T
 *   S(x) = Σ_ij |∂D_KL/∂W_ij| = (1/T) (Σ_j |h_j|) (Σ_i |1/C − p_i|)
 * </pre>
 * Default T = 1 (the paper's). The authors' code uses a cross-entropy against an all-ones target,
 * which multiplies the score by C: the same ranking.
 */
final class GradNorm implements OodMethod {
  private static final long serialVersionUID = 1L;

  private final LinearHead head;
  private final double temperature;

  GradNorm(LinearHead head, double temperature) {
    Check.argument(head != null, "gradnorm needs a head");
    this.head = head;
    this.temperature = Check.finitePositive(temperature, "temperature");
  }

  @Override
  public String name() {
    return Method.GRADNORM.key();
  }

  @Override
  public int dim() {
    return head.dim();
  }

  @Override
  public void score(Batch batch, double[] out) {
    int dim = head.dim();
    int classes = head.classes();
    int n = batch.size();
    double[] features = batch.features();
    double[] logits = batch.logits(head);
    double[] p = new double[classes];
    double uniform = 1.0 / classes;
    for (int k = 0; k < n; k++) {
      softmax(logits, k * classes, classes, temperature, p);
      double v = 0;
      for (int i = 0; i < classes; i++) {
        v += Math.abs(uniform - p[i]);
      }
      double u = 0;
      for (int j = 0; j < dim; j++) {
        u += Math.abs(features[k * dim + j]);
      }
      out[k] = u * v / temperature;
    }
  }

  static void softmax(double[] logits, int offset, int classes, double temperature, double[] out) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < classes; i++) {
      max = Math.max(max, logits[offset + i] / temperature);
    }
    double sum = 0;
    for (int i = 0; i < classes; i++) {
      out[i] = Math.exp(logits[offset + i] / temperature - max);
      sum += out[i];
    }
    for (int i = 0; i < classes; i++) {
      out[i] /= sum;
    }
  }
}
