package io.opnp.methods;

import java.io.Serializable;

/**
 * A post-hoc OOD score on penultimate features. Higher scores mean more in-distribution.
 * Implementations are immutable and thread-safe, so one instance can be broadcast to every executor.
 */
public interface OodMethod extends Serializable {
  /** The method's name as {@link OodMethods} knows it, e.g. {@code "energy"}. */
  String name();

  /**
   * Scores a batch.
   *
   * @param features n×D row-major penultimate features h (not modified; may be longer than n·D)
   * @param n number of samples
   * @param out receives the n scores
   */
  void score(double[] features, int n, double[] out);
}
