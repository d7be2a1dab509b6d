package io.opnp.methods;

import io.opnp.math.LinearHead;
import java.io.Serializable;

/** A per-sample reshaping of penultimate features applied before the head (ReAct, ASH, SCALE). */
interface FeatureTransform extends Serializable {
  /** Writes the transformed n×D features into {@code out}; {@code features} is not modified. */
  void apply(double[] features, int n, int dim, double[] out);

  /**
   * The logits {@code head} gives the transformed rows of {@code batch} (n×C). By default the head's
   * product of {@link #apply}'s rows, kept for the batch under this transform (equal transforms, e.g.
   * one ReAct clip for the original and the pruned head, share the rows' derivation key).
   */
  default double[] logits(Batch batch, LinearHead head) {
    int n = batch.size();
    int dim = batch.dim();
    return head.withBias(batch.product(head, this, () -> {
      double[] out = new double[n * dim];
      apply(batch.features(), n, dim, out);
      return out;
    }), n);
  }
}
