package io.opnp.decision;

import io.opnp.math.Check;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How AUROCs over several validation proxies combine into one figure to choose by: the mean rewards
 * doing well typically; the worst case guards against the one kind of OOD input a detector misses.
 */
public enum Criterion {
  MEAN("mean AUROC"),
  WORST("worst-case AUROC");

  private final String description;

  Criterion(String description) {
    this.description = description;
  }

  public double of(double[] aurocs) {
    Check.argument(aurocs != null && aurocs.length > 0, "no AUROCs to combine");
    return this == MEAN ? Arrays.stream(aurocs).sum() / aurocs.length : Arrays.stream(aurocs).min().getAsDouble();
  }

  /**
   * The criterion with a weight per proxy: the weighted mean, or the minimum (every proxy counts for the worst case,
   * whatever its weight). Equal weights give {@link #of(double[])} exactly.
   */
  public double of(double[] aurocs, double[] weights) {
    Check.argument(weights != null && aurocs != null && weights.length == aurocs.length,
        "%s weights for %s AUROCs", weights == null ? 0 : weights.length, aurocs == null ? 0 : aurocs.length);
    if (this == WORST || Arrays.stream(weights).allMatch(w -> w == weights[0])) {
      return of(aurocs);
    }
    double sum = 0;
    double total = 0;
    for (int i = 0; i < aurocs.length; i++) {
      Check.argument(weights[i] > 0 && Double.isFinite(weights[i]), "proxy weight %s must be positive, got %s", i,
          weights[i]);
      sum += weights[i] * aurocs[i];
      total += weights[i];
    }
    return sum / total;
  }

  /** "mean AUROC" or "worst-case AUROC", for reports. */
  public String description() {
    return description;
  }

  /** The criterion by name, ignoring case and surrounding blanks. */
  public static Criterion parse(String name) {
    for (Criterion c : values()) {
      if (name != null && c.name().equalsIgnoreCase(name.strip())) {
        return c;
      }
    }
    throw new IllegalArgumentException(String.format("unknown selection criterion '%s'; choose one of: %s", name,
        Arrays.stream(values()).map(c -> c.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "))));
  }
}
