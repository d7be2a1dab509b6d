package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * NCI (Liu, Qin, "Detecting Out-of-Distribution Through the Lens of Neural Collapse", CVPR 2025):
 * how well the centred feature aligns with its predicted class's weight row, plus a small
 * feature-norm term:
 * <pre>
 *   S(x) = w_ĉ · (h − μ) / ‖h − μ‖₂ + α ‖h‖₁
 * </pre>
 * with ĉ = argmax f, w_ĉ the raw (unnormalized) weight row, μ the training mean. Default α = 1e-4
 * (OpenOOD's; its grid 1e-4 … 0.1).
 */
final class Nci extends PredictedClassMethod {
  private static final long serialVersionUID = 1L;

  private final double[] mean;
  private final double alpha;
  private final double[] weight;  // W, C×D row-major

  Nci(LinearHead head, double[] mean, double alpha) {
    super(head);
    Check.argument(mean.length == head.dim(), "NCI's training mean has %s values, the head %s", mean.length,
        head.dim());
    this.mean = mean.clone();
    this.alpha = Check.finitePositive(alpha, "NCI alpha");
    this.weight = head.weight();
  }

  @Override
  public String name() {
    return Method.NCI.key();
  }

  @Override
  double score(double[] h, int hAt, double[] f, int fAt, int top) {
    int d = mean.length;
    double dot = 0;
    double norm = 0;
    double l1 = 0;
    for (int j = 0; j < d; j++) {
      double v = h[hAt + j];
      double x = v - mean[j];
      dot += weight[top * d + j] * x;
      norm += x * x;
      l1 += Math.abs(v);
    }
    return dot / Math.sqrt(norm) + alpha * l1;
  }
}
