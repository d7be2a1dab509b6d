package io.opnp.methods;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Fitted parts that several configurations build from the same statistics, made once: the
 * class-conditional Mahalanobis fit shared by Mahalanobis and RMDS (and by MDS++ and RMDS++ on the
 * normalized statistics), each a Cholesky factor and inverse of a D×D covariance. The configurations
 * that share a part share one object, so a batch scored by all of them computes its distances once
 * too ({@link Batch}). Safe for configurations built on several threads.
 */
final class Fits {
  private final Map<Object, Once<?>> parts = new ConcurrentHashMap<>();

  /** The part under {@code key} (a record of what decides it), made by {@code make} the first time. */
  @SuppressWarnings("unchecked")
  <T> T get(Object key, Supplier<T> make) {
    return ((Once<T>) parts.computeIfAbsent(key, k -> new Once<>(make))).get();
  }

  /** Made on the first call; callers of the same key wait for it instead of making it again. */
  private static final class Once<T> {
    private Supplier<T> make;
    private T value;

    Once(Supplier<T> make) {
      this.make = make;
    }

    synchronized T get() {
      if (make != null) {
        value = make.get();
        make = null;
      }
      return value;
    }
  }
}
