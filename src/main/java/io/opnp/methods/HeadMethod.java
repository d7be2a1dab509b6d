package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * The common shape of most post-hoc methods: an optional feature transform (ReAct, ASH, SCALE), a
 * linear head (the original, a DICE-sparsified or an OPNP-pruned one) and a score of the logits (MSP,
 * max logit, energy, GEN). See {@link Method} for which combination each named method is.
 */
final class HeadMethod implements OodMethod {
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

  @Override
  public int dim() {
    return head.dim();
  }

  LinearHead head() {
    return head;
  }

  @Override
  public void score(Batch batch, double[] out) {
    int classes = head.classes();
    double[] logits = transform == null ? batch.logits(head) : transform.logits(batch, head);
    logitScore.scores(batch, logits, classes, out);
  }
}
