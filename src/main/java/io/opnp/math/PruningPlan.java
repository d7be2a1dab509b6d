package io.opnp.math;

import java.io.Serializable;

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
    requireSomethingKept(sensitivity.classes(), sensitivity.dim(), percentages);  // before the ranking's cost
    return of(SensitivityOrder.of(sensitivity), percentages);
  }

  /** The plan from sensitivities ranked once: O(C·D) per plan, for sweeps over many percentages. */
  public static PruningPlan of(SensitivityOrder order, PruningPercentages percentages) {
    int weights = order.classes() * order.dim();
    int neurons = order.dim();
    requireSomethingKept(order.classes(), order.dim(), percentages);
    boolean[] keepWeight = order.weightMask(PruningPercentages.count(weights, percentages.rhoWMax()),
        PruningPercentages.count(weights, percentages.rhoWMin()));
    boolean[] keepNeuron = order.neuronMask(PruningPercentages.count(neurons, percentages.rhoOMax()),
        PruningPercentages.count(neurons, percentages.rhoOMin()));
    return new PruningPlan(percentages, order.classes(), order.dim(), keepWeight, keepNeuron);
  }

  private static void requireSomethingKept(int classes, int dim, PruningPercentages p) {
    requireSomethingKept(classes * dim, p.rhoWMax(), p.rhoWMin(), "weights", "rho-w-max", "rho-w-min");
    requireSomethingKept(dim, p.rhoOMax(), p.rhoOMin(), "neurons", "rho-o-max", "rho-o-min");
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
    return SensitivityOrder.keepMask(SensitivityOrder.ascending(values), PruningPercentages.count(n, topPercent),
        PruningPercentages.count(n, bottomPercent));
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
