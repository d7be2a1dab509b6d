package io.opnp.methods;

import java.io.Serializable;

/**
 * A post-hoc OOD score on penultimate features. Higher scores mean more in-distribution.
 * Implementations are immutable and thread-safe, so one instance can be broadcast to every executor.
 */
public interface OodMethod extends Serializable {
  /** The method's name as {@link Method} knows it, e.g. {@code "energy"}. */
  String name();

  /** The feature dimension D the method reads. */
  int dim();

  /**
   * Scores a batch, reading what other methods of the same batch may already have computed from it
   * (see {@link Batch}).
   *
   * @param out receives the batch's n scores
   */
  void score(Batch batch, double[] out);

  /**
   * Scores a batch on its own.
   *
   * @param features n×D row-major penultimate features h (not modified; may be longer than n·D)
   * @param n number of samples
   * @param out receives the n scores
   */
  default void score(double[] features, int n, double[] out) {
    io.opnp.math.Check.capacity(out, n, "scores output");
    score(new Batch(features, n, dim()), out);
  }
}
