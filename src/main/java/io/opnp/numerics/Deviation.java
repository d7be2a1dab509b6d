package io.opnp.numerics;

import io.opnp.math.Check;

/**
 * How far computed values are from a float64 reference: the largest absolute difference divided
 * by the reference's largest magnitude (at least 1e-6), and where it occurs. A non-finite value
 * counts as an infinite deviation, so NaN can never pass.
 */
public record Deviation(double relative, int index, double got, double expected) {
  public static final Deviation NONE = new Deviation(0, -1, 0, 0);

  public static Deviation of(float[] got, double[] expected, int count) {
    Check.capacity(got, count, "computed values");
    Check.capacity(expected, count, "reference values");
    double scale = 1e-6;
    for (int i = 0; i < count; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    Deviation worst = NONE;
    for (int i = 0; i < count; i++) {
      double d = Float.isFinite(got[i]) ? Math.abs(got[i] - expected[i]) / scale : Double.POSITIVE_INFINITY;
      if (d > worst.relative || (d == Double.POSITIVE_INFINITY && worst.index < 0)) {
        worst = new Deviation(d, i, got[i], expected[i]);
      }
    }
    return worst;
  }

  /** Against float32 reference values (golden outputs, another run). */
  public static Deviation of(float[] got, float[] expected, int count) {
    Check.capacity(expected, count, "reference values");
    double[] e = new double[count];
    for (int i = 0; i < count; i++) {
      e[i] = expected[i];
    }
    return of(got, e, count);
  }

  public Deviation max(Deviation other) {
    return other.relative > relative ? other : this;
  }

  public boolean within(double tolerance) {
    return relative <= tolerance;
  }
}
