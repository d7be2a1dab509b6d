package io.opnp.math;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The four OPNP percentages: weights whose sensitivity is in the top {@code rhoWMax} % or bottom
 * {@code rhoWMin} % are removed, and likewise neurons with {@code rhoOMax} / {@code rhoOMin}.
 */
public final class PruningPercentages implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The paper's ResNet50 settings (ρw_max 0.5, ρo_max 30, no minimum pruning). */
  public static final PruningPercentages PAPER_RESNET50 = new PruningPercentages(0.5, 0, 30, 0);
  /** Nothing pruned: the original head. */
  public static final PruningPercentages NONE = new PruningPercentages(0, 0, 0, 0);

  private final double rhoWMax;
  private final double rhoWMin;
  private final double rhoOMax;
  private final double rhoOMin;

  public PruningPercentages(double rhoWMax, double rhoWMin, double rhoOMax, double rhoOMin) {
    this.rhoWMax = percent(rhoWMax, "rho-w-max");
    this.rhoWMin = percent(rhoWMin, "rho-w-min");
    this.rhoOMax = percent(rhoOMax, "rho-o-max");
    this.rhoOMin = percent(rhoOMin, "rho-o-min");
    Check.argument(rhoWMax + rhoWMin < 100,
        "rho-w-max + rho-w-min must be below 100 (it would remove every weight), got %s + %s", rhoWMax, rhoWMin);
    Check.argument(rhoOMax + rhoOMin < 100,
        "rho-o-max + rho-o-min must be below 100 (it would remove every neuron), got %s + %s", rhoOMax, rhoOMin);
  }

  private static double percent(double value, String name) {
    Check.argument(Double.isFinite(value) && value >= 0 && value <= 100,
        "%s is a percentage and must be in [0, 100], got %s", name, value);
    return value;
  }

  /**
   * {@code k = floor(n·ρ/100 + 0.5)}: how many of n values a percentage ρ selects (DESIGN §1),
   * computed in decimal so that a half is a half: ρ = 16.15 of n = 1000 gives 162, where binary
   * floating point would give 161.
   */
  public static int count(int n, double percent) {
    return BigDecimal.valueOf(n).multiply(BigDecimal.valueOf(percent))
        .divide(BigDecimal.valueOf(100)).add(new BigDecimal("0.5"))
        .setScale(0, RoundingMode.FLOOR).intValueExact();
  }

  public double rhoWMax() {
    return rhoWMax;
  }

  public double rhoWMin() {
    return rhoWMin;
  }

  public double rhoOMax() {
    return rhoOMax;
  }

  public double rhoOMin() {
    return rhoOMin;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PruningPercentages p && p.rhoWMax == rhoWMax && p.rhoWMin == rhoWMin
        && p.rhoOMax == rhoOMax && p.rhoOMin == rhoOMin;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(rhoWMax, rhoWMin, rhoOMax, rhoOMin);
  }

  @Override
  public String toString() {
    return "rho_w_max=" + rhoWMax + " rho_w_min=" + rhoWMin + " rho_o_max=" + rhoOMax + " rho_o_min=" + rhoOMin;
  }
}
