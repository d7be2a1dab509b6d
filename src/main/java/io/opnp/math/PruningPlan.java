package io.opnp.math;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Which last-layer weights and pre-logit neurons OPNP removes. Values are ranked by sensitivity in
 * ascending order with ties broken by flat index (a stable sort); the top ρ % are the last
 * {@code k = floor(n·ρ/100 + 0.5)} and the bottom ρ % the first k, so a plan is exactly reproducible.
 */
public final class PruningPlan implements Serializable {
  private static final long serialVersionUID = 1L;

  private final PruningPercentages percentages;
  private final int classes;
  private final int dim;
  private final boolean[] keepWeight;  // C×D row-major
  private final boolean[] keepNeuron;  // D
  private final int prunedWeights;
  private final int prunedNeurons;

  private PruningPlan(PruningPercentages percentages, int classes, int dim, boolean[] keepWeight,
                      boolean[] keepNeuron) {
    this.percentages = percentages;
    this.classes = classes;
    this.dim = dim;
    this.keepWeight = keepWeight;
    this.keepNeuron = keepNeuron;
    this.prunedWeights = countFalse(keepWeight);
    this.prunedNeurons = countFalse(keepNeuron);
  }

  public static PruningPlan of(Sensitivity sensitivity, PruningPercentages percentages) {
    requireSomethingKept(sensitivity.classes() * sensitivity.dim(), percentages.rhoWMax(), percentages.rhoWMin(), "weights",
        "rho-w-max", "rho-w-min");
    requireSomethingKept(sensitivity.dim(), percentages.rhoOMax(), percentages.rhoOMin(), "neurons", "rho-o-max", "rho-o-min");
    boolean[] keepWeight = keepMask(sensitivity.weight(), percentages.rhoWMax(), percentages.rhoWMin());
    boolean[] keepNeuron = keepMask(sensitivity.neuron(), percentages.rhoOMax(), percentages.rhoOMin());
    return new PruningPlan(percentages, sensitivity.classes(), sensitivity.dim(), keepWeight, keepNeuron);
  }

  /** Rounding can select every value even when the percentages sum below 100; that is an error too. */
  private static void requireSomethingKept(int n, double top, double bottom, String what, String topName,
                                           String bottomName) {
    int k = PruningPercentages.count(n, top) + PruningPercentages.count(n, bottom);
    Check.argument(k < n, "%s %s and %s %s select %d + %d of the %d %s, leaving none; lower them",
        topName, top, bottomName, bottom, PruningPercentages.count(n, top), PruningPercentages.count(n, bottom), n, what);
  }

  /** A mask that is false for the top {@code topPercent} % and bottom {@code bottomPercent} % of values. */
  static boolean[] keepMask(double[] values, double topPercent, double bottomPercent) {
    int n = values.length;
    for (int i = 0; i < n; i++) {
      Check.argument(Double.isFinite(values[i]), "sensitivity value %s at flat index %s is not finite", values[i], i);
    }
    int top = PruningPercentages.count(n, topPercent);
    int bottom = PruningPercentages.count(n, bottomPercent);
    boolean[] keep = new boolean[n];
    Arrays.fill(keep, true);
    if (top == 0 && bottom == 0) {
      return keep;
    }
    // Stable sort of indices by value: equal values keep ascending flat-index order.
    Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble(i -> values[i]));
    for (int r = 0; r < bottom; r++) {
      keep[order[r]] = false;
    }
    for (int r = n - top; r < n; r++) {
      keep[order[r]] = false;
    }
    return keep;
  }

  private static int countFalse(boolean[] mask) {
    int c = 0;
    for (boolean b : mask) {
      if (!b) {
        c++;
      }
    }
    return c;
  }

  public PruningPercentages percentages() {
    return percentages;
  }

  public int classes() {
    return classes;
  }

  public int dim() {
    return dim;
  }

  public boolean keepsWeight(int i, int j) {
    return keepWeight[i * dim + j];
  }

  public boolean keepsNeuron(int j) {
    return keepNeuron[j];
  }

  public boolean[] weightMask() {
    return keepWeight.clone();
  }

  public boolean[] neuronMask() {
    return keepNeuron.clone();
  }

  public int prunedWeights() {
    return prunedWeights;
  }

  public int prunedNeurons() {
    return prunedNeurons;
  }

  @Override
  public String toString() {
    return String.format("PruningPlan{%s: %d/%d weights and %d/%d neurons removed}", percentages,
        prunedWeights, keepWeight.length, prunedNeurons, dim);
  }
}
