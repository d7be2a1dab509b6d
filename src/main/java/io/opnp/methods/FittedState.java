package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;
import io.opnp.math.PruningPercentages;
import io.opnp.math.PruningPlan;
import io.opnp.math.Sensitivity;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What the methods need from the ID training set, fitted once (by evaluate's training stage) and
 * read back from a saved detector: the training statistics ({@link TrainingSums}), ReAct's clip value at each fitted
 * percentile, ViM's subspace and mean residual norm, the KNN bank and the sensitivity OPNP's plans
 * prune by. Any part a method does not need may be null; {@link DetectorSpec#build} takes what it needs.
 */
public final class FittedState {
  private final TrainingSums.Result training;
  private final double[] reactPercents;
  private final double[] reactThresholds;
  private final VimSubspace vim;
  private final double vimMeanResidual;
  private final KnnBank bank;
  private final GuideBank guides;
  private final Sensitivity sensitivity;
  /** Pruned heads by plan: many configurations share one plan, and pruning sorts C·D values. */
  private final Map<PruningPercentages, LinearHead> pruned = new HashMap<>();
  /** Parts several configurations fit alike (e.g. one Mahalanobis fit for Mahalanobis and RMDS). */
  private final Fits fits = new Fits();

  /**
   * @param reactPercents percentiles (0–100); {@code reactThresholds[i]} is the activation value at {@code reactPercents[i]}
   */
  public FittedState(TrainingSums.Result training, double[] reactPercents, double[] reactThresholds, VimSubspace vim,
                     double vimMeanResidual, KnnBank bank, GuideBank guides, Sensitivity sensitivity) {
    Check.argument(reactPercents.length == reactThresholds.length, "%s ReAct percentiles but %s thresholds",
        reactPercents.length, reactThresholds.length);
    this.training = training;
    this.reactPercents = reactPercents.clone();
    this.reactThresholds = reactThresholds.clone();
    this.vim = vim;
    this.vimMeanResidual = vimMeanResidual;
    this.bank = bank;
    this.guides = guides;
    this.sensitivity = sensitivity;
  }

  /** The training features' statistics; null when no method needs them. */
  public FeatureStats stats() {
    return training == null ? null : training.features();
  }

  /** Every training statistic (normalized, correct-by-class, softmax templates too); null parts are not needed. */
  public TrainingSums.Result training() {
    return training;
  }

  /** The ReAct percentiles fitted (a copy). */
  public double[] reactPercents() {
    return reactPercents.clone();
  }

  /** The activation value at {@code percent}, one of the fitted percentiles. */
  public double reactThreshold(double percent) {
    for (int i = 0; i < reactPercents.length; i++) {
      if (Math.abs(reactPercents[i] - percent) < 1e-9) {
        return reactThresholds[i];
      }
    }
    throw new IllegalArgumentException("ReAct percentile " + percent + " was not fitted (fitted: "
        + Arrays.toString(reactPercents) + ")");
  }

  public VimSubspace vim() {
    return vim;
  }

  public double vimMeanResidual() {
    return vimMeanResidual;
  }

  public KnnBank bank() {
    return bank;
  }

  public GuideBank guides() {
    return guides;
  }

  Fits fits() {
    return fits;
  }

  public Sensitivity sensitivity() {
    return sensitivity;
  }

  /** This state with the sensitivity OPNP's plans prune by. */
  public FittedState withSensitivity(Sensitivity s) {
    return new FittedState(training, reactPercents, reactThresholds, vim, vimMeanResidual, bank, guides, s);
  }

  /** {@code head} pruned by {@code plan} of the sensitivity (computed once per plan). */
  public synchronized LinearHead pruned(LinearHead head, PruningPercentages plan) {
    Check.argument(sensitivity != null, "an OPNP method needs the sensitivity");
    if (sensitivity.classes() != head.classes() || sensitivity.dim() != head.dim()) {
      throw new io.opnp.BadInputException(String.format("the sensitivities are %dx%d but the model's head is %dx%d",
          sensitivity.classes(), sensitivity.dim(), head.classes(), head.dim()));
    }
    return pruned.computeIfAbsent(plan, p -> head.pruned(PruningPlan.of(sensitivity, p)));
  }
}
