package io.opnp.decision;

import io.opnp.math.Check;

/** A confidence interval [lower, upper] at the given confidence level. */
public record Interval(double lower, double upper, double level) implements java.io.Serializable {
  public Interval {
    Check.argument(lower <= upper, "interval lower bound %s must not exceed upper bound %s", lower, upper);
    Check.argument(level > 0 && level < 1, "confidence level must be in (0, 1), got %s", level);
  }

  /** Whether x lies in the closed interval. */
  public boolean contains(double x) {
    return lower <= x && x <= upper;
  }
}
