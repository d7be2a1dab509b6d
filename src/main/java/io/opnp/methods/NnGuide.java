package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import java.util.Arrays;

/**
 * NNGuide (Park, Jung, Teoh, "Nearest Neighbor Guidance for Out-of-Distribution Detection", ICCV
 * 2023): the energy scaled by how close the feature lies to the ID manifold, measured against a bank
 * of confidence-scaled training features ("guides"):
 * <pre>
 *   g_i = n(h_i) · E(h_i),   S(x) = E(x) · (1/K) Σ of the K largest ⟨n(h), g_i⟩,   n(x) = x/‖x‖ + 1e-10
 * </pre>
 * with E = logsumexp(f) and the ε added to each component after the division, as OpenOOD does (an
 * all-zero row, which OpenOOD would turn into NaN, is left at ε). The
 * bank is a seeded uniform sample of about 1 % of the training set (the paper's α = 0.01; OpenOOD
 * takes its first batches instead); K = 100, at most the bank's size.
 */
final class NnGuide implements OodMethod {
  private static final long serialVersionUID = 1L;

  private final LinearHead head;
  private final GuideBank bank;
  private final int k;

  NnGuide(LinearHead head, GuideBank bank, int k) {
    Check.argument(bank.dim() == head.dim(), "NNGuide's bank has dimension %s but the head %s", bank.dim(), head.dim());
    Check.argument(bank.size() > 0, "NNGuide's bank is empty");
    this.head = head;
    this.bank = bank;
    this.k = Math.min(Check.positive(k, "NNGuide K"), bank.size());
  }

  static double[] normalized(double[] x, int n, int d) {
    double[] out = new double[n * d];
    for (int r = 0; r < n; r++) {
      double s = 0;
      for (int j = 0; j < d; j++) {
        s += x[r * d + j] * x[r * d + j];
      }
      double inv = s > 0 ? 1 / Math.sqrt(s) : 0;  // an all-zero row has no direction: it stays (near) zero
      for (int j = 0; j < d; j++) {
        out[r * d + j] = x[r * d + j] * inv + 1e-10;
      }
    }
    return out;
  }

  @Override
  public String name() {
    return Method.NNGUIDE.key();
  }

  @Override
  public int dim() {
    return head.dim();
  }

  /** The similarities of the batch's rows to the bank (n×m), each row sorted ascending, shared by every K. */
  private record Similarities(GuideBank bank) {}

  @Override
  public void score(Batch batch, double[] out) {
    int n = batch.size();
    if (n == 0) {
      return;
    }
    int d = head.dim();
    int c = head.classes();
    int m = bank.size();
    double[] logits = batch.logits(head);
    double[] sims = batch.shared(new Similarities(bank), () -> {
      double[] s = normalized(batch.features(), n, d);
      // sims (n×m) = S · Gᵀ; column-major: simsᵀ (m×n) = G (m×D) · Sᵀ (D×n).
      double[] g = new double[n * m];
      io.opnp.math.Blas.get().dgemm("T", "N", m, n, d, 1.0, bank.rows(), d, s, d, 0.0, g, m);
      for (int r = 0; r < n; r++) {
        Arrays.sort(g, r * m, (r + 1) * m);
      }
      return g;
    });
    for (int r = 0; r < n; r++) {
      double top = 0;
      for (int i = m - k; i < m; i++) {
        top += sims[r * m + i];
      }
      out[r] = Energy.score(logits, r * c, c, 1.0) * (top / k);
    }
  }
}
