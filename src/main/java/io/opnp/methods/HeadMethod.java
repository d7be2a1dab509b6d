package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * The common shape of most post-hoc methods: an optional feature transform (ReAct, ASH), a linear
 * head (the original, a DICE-sparsified or an OPNP-pruned one) and a score of the logits (MSP, max
 * logit, energy, GEN). See {@link OodMethods} for which combination each named method is.
 */
final class HeadMethod implements OodMethod, FromLogits {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final FeatureTransform transform;  // null: features used as they are
  private final LinearHead head;
  private final LogitScore logitScore;

  HeadMethod(String name, FeatureTransform transform, LinearHead head, LogitScore logitScore) {
    Check.argument(head != null, "method %s needs a head", name);
    this.name = name;
    this.transform = transform;
    this.head = head;
    this.logitScore = logitScore;
  }

  @Override
  public String name() {
    return name;
  }

  LinearHead head() {
    return head;
  }

  @Override
  public LinearHead logitsHead() {
    return transform == null ? head : null;
  }

  @Override
  public void score(double[] features, int n, double[] out) {
    int dim = head.dim();
    int classes = head.classes();
    Check.capacity(features, (long) n * dim, "features");
    Check.capacity(out, n, "scores output");
    double[] h = features;
    if (transform != null) {
      h = new double[n * dim];
      transform.apply(features, n, dim, h);
    }
    double[] logits = new double[n * classes];
    head.logits(h, n, logits);
    scoreFromLogits(h, logits, n, out);
  }

  @Override
  public void scoreFromLogits(double[] features, double[] logits, int n, double[] out) {
    int classes = head.classes();
    for (int k = 0; k < n; k++) {
      out[k] = logitScore.of(logits, k * classes, classes);
    }
  }
}
