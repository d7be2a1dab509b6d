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
 * prune by. Any part a method does not need may be absent; {@link DetectorSpec#build} takes what it needs.
 * Each {@link Method.Need} saves and loads its own part ({@link StateParts}). Built with {@link #builder()}.
 */
public final class FittedState implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private final TrainingSums.Result training;
  private final double[] reactPercents;
  private final double[] reactThresholds;
  private final VimSubspace vim;
  private final double vimMeanResidual;
  private final KnnBank bank;
  private final GuideBank guides;
  private final Sensitivity sensitivity;
  /** Held-out ID scores by configuration label: a fusion's p-value references. */
  private final Map<String, double[]> references;
  /** Pruned heads by plan: many configurations share one plan, and pruning sorts C·D values. */
  private transient Map<PruningPercentages, LinearHead> pruned;
  /** Parts several configurations fit alike (e.g. one Mahalanobis fit for Mahalanobis and RMDS). */
  private transient Fits fits;

  private FittedState(Builder b) {
    this.training = b.training();
    this.reactPercents = b.reactPercents.clone();
    this.reactThresholds = b.reactThresholds.clone();
    this.vim = b.vim;
    this.vimMeanResidual = b.vimMeanResidual;
    this.bank = b.bank;
    this.guides = b.guides;
    this.sensitivity = b.sensitivity;
    this.references = Map.copyOf(b.references);
  }

  /** An empty state: nothing fitted (the methods that need only the head). */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this state's parts, to change some of them. */
  public Builder toBuilder() {
    Builder b = new Builder().training(training).react(reactPercents, reactThresholds).bank(bank).guides(guides)
        .sensitivity(sensitivity);
    b.references.putAll(references);
    b.vim = vim;
    b.vimMeanResidual = vimMeanResidual;
    return b;
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

  /** ViM's subspace; null when not needed, or for a vim detector saved before the subspace was (refitted then). */
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

  synchronized Fits fits() {
    if (fits == null) {
      fits = new Fits();
    }
    return fits;
  }

  public Sensitivity sensitivity() {
    return sensitivity;
  }

  /** The held-out ID scores of the configuration labelled {@code label} (a fusion member's p-value reference). */
  public double[] reference(String label) {
    double[] r = references.get(label);
    Check.argument(r != null, "no held-out ID scores of %s were kept (kept: %s)", label,
        new java.util.TreeSet<>(references.keySet()));
    return r.clone();
  }

  /** This state with the sensitivity OPNP's plans prune by. */
  public FittedState withSensitivity(Sensitivity s) {
    return toBuilder().sensitivity(s).build();
  }

  /** {@code head} pruned by {@code plan} of the sensitivity (computed once per plan). */
  public synchronized LinearHead pruned(LinearHead head, PruningPercentages plan) {
    Check.argument(sensitivity != null, "an OPNP method needs the sensitivity");
    if (sensitivity.classes() != head.classes() || sensitivity.dim() != head.dim()) {
      throw new io.opnp.BadInputException(String.format("the sensitivities are %dx%d but the model's head is %dx%d",
          sensitivity.classes(), sensitivity.dim(), head.classes(), head.dim()));
    }
    if (pruned == null) {
      pruned = new HashMap<>();
    }
    return pruned.computeIfAbsent(plan, p -> head.pruned(PruningPlan.of(sensitivity, p)));
  }

  /** The parts of a {@link FittedState}; any left unset is absent. */
  public static final class Builder {
    private final FeatureStats[] slices = new FeatureStats[TrainingSums.Slice.values().length];
    private double[] reactPercents = new double[0];
    private double[] reactThresholds = new double[0];
    private VimSubspace vim;
    private double vimMeanResidual = Double.NaN;
    private KnnBank bank;
    private GuideBank guides;
    private Sensitivity sensitivity;
    private final Map<String, double[]> references = new HashMap<>();

    private Builder() {}

    /** Every training statistic at once (null: none). */
    public Builder training(TrainingSums.Result t) {
      for (TrainingSums.Slice s : TrainingSums.Slice.values()) {
        slices[s.ordinal()] = t == null ? null : s.of(t);
      }
      return this;
    }

    /** One slice of the training statistics, as a saved detector restores it. */
    public Builder training(TrainingSums.Slice slice, FeatureStats stats) {
      slices[slice.ordinal()] = stats;
      return this;
    }

    /** ReAct's clip value {@code thresholds[i]} at each percentile {@code percents[i]} (0–100). */
    public Builder react(double[] percents, double[] thresholds) {
      Check.argument(percents.length == thresholds.length, "%s ReAct percentiles but %s thresholds",
          percents.length, thresholds.length);
      this.reactPercents = percents.clone();
      this.reactThresholds = thresholds.clone();
      return this;
    }

    /**
     * ViM's subspace (null: refitted from the statistics when the scorer is built) and the mean of
     * {@link VimSubspace#residualNormSum} over the training set.
     */
    public Builder vim(VimSubspace subspace, double meanResidual) {
      this.vim = subspace;
      this.vimMeanResidual = meanResidual;
      return this;
    }

    public Builder bank(KnnBank b) {
      this.bank = b;
      return this;
    }

    public Builder guides(GuideBank g) {
      this.guides = g;
      return this;
    }

    public Builder sensitivity(Sensitivity s) {
      this.sensitivity = s;
      return this;
    }

    /** The held-out ID scores of the configuration labelled {@code label}, a fusion member's reference. */
    public Builder reference(String label, double[] idScores) {
      Check.argument(idScores != null && idScores.length > 0, "the reference scores of %s are empty", label);
      references.put(label, idScores.clone());
      return this;
    }

    private TrainingSums.Result training() {
      for (FeatureStats s : slices) {
        if (s != null) {
          return new TrainingSums.Result(slices[0], slices[1], slices[2], slices[3]);
        }
      }
      return null;
    }

    public FittedState build() {
      return new FittedState(this);
    }
  }
}
