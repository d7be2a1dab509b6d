package io.opnp.methods;

import java.io.Serializable;

/** A per-sample reshaping of penultimate features applied before the head (ReAct, ASH). */
interface FeatureTransform extends Serializable {
  /** Writes the transformed n×D features into {@code out}; {@code features} is not modified. */
  void apply(double[] features, int n, int dim, double[] out);
}
