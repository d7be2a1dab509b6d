package io.opnp.methods;

import io.opnp.math.Check;

/**
 * ReAct's rectification (Sun, Guo, Li, "ReAct: Out-of-distribution Detection With Rectified
 * Activations", NeurIPS 2021): {@code h̄_j = min(h_j, c)}, where c is the p-th percentile of the
 * in-distribution training activations (all D·m values; the paper's default p = 90). The threshold
 * c itself is computed elsewhere and passed in.
 */
record ReactClip(double threshold) implements FeatureTransform {
  private static final long serialVersionUID = 1L;

  ReactClip {
    Check.argument(Double.isFinite(threshold), "ReAct threshold must be finite, got %s", threshold);
  }

  @Override
  public void apply(double[] features, int n, int dim, double[] out) {
    for (int i = 0, len = n * dim; i < len; i++) {
      out[i] = Math.min(features[i], threshold);
    }
  }
}
