package io.opnp.decision;

import io.opnp.math.Check;
import org.apache.commons.math3.special.Erf;

/** Confidence intervals for a proportion, e.g. a false-alarm rate counted on held-out ID inputs. */
public final class BinomialInterval {
  private BinomialInterval() {}

  /**
   * The Wilson score interval. Unlike the textbook p ± z·sqrt(p(1−p)/n) it stays inside [0, 1] and
   * does not collapse to a point at 0 of n, which is the usual case for a small false-alarm count.
   * With no trials nothing is known: [0, 1].
   */
  public static Interval wilson(long successes, long trials, double level) {
    Check.argument(trials >= 0, "trials must not be negative, got %s", trials);
    Check.argument(successes >= 0 && successes <= trials,
        "successes must be in [0, trials = %s], got %s", trials, successes);
    double z = zScore(level);
    if (trials == 0) {
      return new Interval(0, 1, level);
    }
    double n = trials;
    double p = successes / n;
    double z2 = z * z;
    double denominator = 1 + z2 / n;
    double center = (p + z2 / (2 * n)) / denominator;
    double half = z / denominator * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    double lower = successes == 0 ? 0 : Math.max(0, center - half);
    double upper = successes == trials ? 1 : Math.min(1, center + half);
    return new Interval(lower, upper, level);
  }

  /**
   * The two-sided critical value z = Φ⁻¹((1 + level) / 2), e.g. 1.96 for 95 %. Computed as
   * √2·erf⁻¹(level), which keeps full precision for levels close to 1 where (1 + level) / 2 would
   * round away the digits that matter.
   */
  public static double zScore(double level) {
    Check.argument(level > 0 && level < 1, "confidence level must be in (0, 1), got %s", level);
    return Math.sqrt(2) * Erf.erfInv(level);
  }
}
