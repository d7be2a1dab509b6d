package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;

/**
 * A method whose score reads the features only through one head's logits (and, for some, the
 * features themselves): {@link OodMethods#scoreAll} computes each head's logits once per batch and
 * hands them to every such method, so the C×D product is paid once per row and head, not once per
 * method and configuration.
 */
interface FromLogits {
  /** The head whose logits of the untransformed features the score reads; null when it reads others. */
  LinearHead logitsHead();

  /** The scores from the features and their logits under {@link #logitsHead()} (n×C). */
  void scoreFromLogits(double[] features, double[] logits, int n, double[] out);

  /** {@link OodMethod#score} of such a method: the head's logits, then {@link #scoreFromLogits}. */
  default void scoreThroughHead(double[] features, int n, double[] out) {
    LinearHead head = logitsHead();
    Check.capacity(features, (long) n * head.dim(), "features");
    Check.capacity(out, n, "scores output");
    double[] logits = new double[n * head.classes()];
    head.logits(features, n, logits);
    scoreFromLogits(features, logits, n, out);
  }
}
