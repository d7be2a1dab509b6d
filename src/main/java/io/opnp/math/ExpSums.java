package io.opnp.math;

/**
 * {@code total[k] += exp(x[off + k] − max[k])}, the inner loop of many log-sum-exps at once (the
 * energies of a plan sweep). With the JDK's vector module ({@code --add-modules
 * jdk.incubator.vector}, as the project's launchers and tests run) a vector register at a time (4
 * doubles with AVX2, 8 with AVX-512) through a polynomial exp accurate to about 2 ulp; without it, {@link Math#exp} one value at a time.
 */
public final class ExpSums {
  /** Whether the vector module is in this JVM (decided once: a JVM's modules are fixed at start). */
  public static final boolean VECTORIZED = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
      && !Boolean.getBoolean("opnp.exp.scalar");

  private ExpSums() {}

  public static void add(double[] x, int off, double[] max, double[] total, int n) {
    if (VECTORIZED) {
      VectorExp.add(x, off, max, total, n);
    } else {
      addScalar(x, off, max, total, 0, n);
    }
  }

  static void addScalar(double[] x, int off, double[] max, double[] total, int from, int n) {
    for (int k = from; k < n; k++) {
      total[k] += Math.exp(x[off + k] - max[k]);
    }
  }
}
