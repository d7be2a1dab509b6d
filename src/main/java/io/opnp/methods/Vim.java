package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.Energy;
import io.opnp.math.LinearHead;

/**
 * ViM (Wang et al., CVPR 2022): energy minus the virtual logit,
 * <pre>
 *   S(x) = T·logsumexp(f(x)/T) − α ‖x^{P⊥}‖,   α = mean_train(max_i f_i) / mean_train(‖x^{P⊥}‖)
 * </pre>
 * (the paper's form, {@code −log(exp(α‖x^{P⊥}‖) / (Σ_i exp f_i + exp(α‖x^{P⊥}‖)))}, is
 * {@code log(1 + exp(S))}, a monotone function of S; the authors' code scores S). T = 1 by default.
 * The subspace is {@link VimSubspace}; the mean residual norm over the training set needs a second
 * pass ({@link VimSubspace#residualNormSum}).
 */
final class Vim implements OodMethod {
  private static final long serialVersionUID = 1L;

  private final LinearHead head;
  private final VimSubspace subspace;
  private final double alpha;
  private final double temperature;

  Vim(LinearHead head, VimSubspace subspace, double alpha, double temperature) {
    Check.argument(subspace.dim() == head.dim(), "ViM subspace has dimension %s but the head %s",
        subspace.dim(), head.dim());
    Check.argument(Double.isFinite(alpha), "ViM alpha must be finite, got %s", alpha);
    this.head = head;
    this.subspace = subspace;
    this.alpha = alpha;
    this.temperature = Check.finitePositive(temperature, "temperature");
  }

  /** α from the training statistics and the mean training residual norm. */
  static double alpha(FeatureStats stats, double meanResidualNorm) {
    Check.finitePositive(meanResidualNorm, "ViM mean residual norm");
    return stats.meanMaxLogit() / meanResidualNorm;
  }

  double alpha() {
    return alpha;
  }

  @Override
  public String name() {
    return Method.VIM.key();
  }

  @Override
  public int dim() {
    return head.dim();
  }

  @Override
  public void score(Batch batch, double[] out) {
    int n = batch.size();
    double[] logits = batch.logits(head);
    int classes = head.classes();
    double[] residual = new double[n];
    subspace.residualNorms(batch.features(), n, residual);
    for (int k = 0; k < n; k++) {
      out[k] = Energy.score(logits, k * classes, classes, temperature) - alpha * residual[k];
    }
  }
}
