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
final class Nci implements OodMethod {
  private static final long serialVersionUID = 1L;

  private final LinearHead head;
  private final double[] mean;
  private final double alpha;
  private final double[] weight;  // W, C×D row-major

  Nci(LinearHead head, double[] mean, double alpha) {
    Check.argument(mean.length == head.dim(), "NCI's training mean has %s values, the head %s", mean.length,
        head.dim());
    this.head = head;
    this.mean = mean.clone();
    this.alpha = Check.finitePositive(alpha, "NCI alpha");
    this.weight = head.weight();
  }

  @Override
  public String name() {
    return Method.NCI.key();
  }

  @Override
  public void score(double[] features, int n, double[] out) {
    int c = head.classes();
    int d = head.dim();
    Check.capacity(features, (long) n * d, "features");
    Check.capacity(out, n, "scores output");
    double[] logits = new double[n * c];
    head.logits(features, n, logits);
    double[] w = weight;
    for (int k = 0; k < n; k++) {
      int top = Fdbd.argmax(logits, k * c, c);
      double dot = 0;
      double norm = 0;
      double l1 = 0;
      for (int j = 0; j < d; j++) {
        double h = features[k * d + j];
        double x = h - mean[j];
        dot += w[top * d + j] * x;
        norm += x * x;
        l1 += Math.abs(h);
      }
      out[k] = dot / Math.sqrt(norm) + alpha * l1;
    }
  }
}
