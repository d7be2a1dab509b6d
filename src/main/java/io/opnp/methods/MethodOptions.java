package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;
import java.io.Serializable;

/**
 * Hyper-parameters ({@link Param}) and fitted inputs for {@link Method#build}. Immutable; every {@code with…}
 * returns a copy. Defaults follow the papers: T = 1, DICE sparsity 90 %, ASH percentile 90, ViM
 * principal dimension by the paper's rule, k = 50, covariance ridge 1e-6 (relative).
 *
 * <p>Fitted inputs computed elsewhere: the ReAct threshold (react, opnp_react), the OPNP-pruned head
 * (opnp, opnp_react, opnp_ash), the ViM subspace and mean training residual norm (vim), the
 * normalized training bank (knn).
 */
public final class MethodOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  private double temperature = 1.0;
  private double reactThreshold = Double.NaN;
  private final java.util.EnumMap<Param, Double> values = new java.util.EnumMap<>(Param.class);
  private Ash.Variant opnpAshVariant = Ash.Variant.S;
  private double covarianceRidge = Mahalanobis.DEFAULT_RIDGE;
  private LinearHead prunedHead;
  private VimSubspace vimSubspace;
  private double vimMeanResidualNorm = Double.NaN;
  private KnnBank knnBank;
  private TrainingSums.Result training;
  private GuideBank guides;
  private java.util.List<OodMethod> fusionMembers;
  private java.util.List<double[]> fusionReferences;
  private Fusion.Combination fusionCombination;
  private transient Fits fits;

  private MethodOptions() {}

  public static MethodOptions defaults() {
    return new MethodOptions();
  }

  private MethodOptions copy() {
    MethodOptions o = new MethodOptions();
    o.temperature = temperature;
    o.reactThreshold = reactThreshold;
    o.values.putAll(values);
    o.opnpAshVariant = opnpAshVariant;
    o.covarianceRidge = covarianceRidge;
    o.prunedHead = prunedHead;
    o.vimSubspace = vimSubspace;
    o.vimMeanResidualNorm = vimMeanResidualNorm;
    o.knnBank = knnBank;
    o.training = training;
    o.guides = guides;
    o.fusionMembers = fusionMembers;
    o.fusionReferences = fusionReferences;
    o.fusionCombination = fusionCombination;
    o.fits = fits();
    return o;
  }

  /** Temperature T of the softmax/energy-based scores (msp, energy and its variants, gradnorm, vim). */
  /** Fitted parts shared by the configurations built with these options (and copies of them). */
  MethodOptions withFits(Fits f) {
    MethodOptions o = copy();
    o.fits = f;
    return o;
  }

  synchronized Fits fits() {
    if (fits == null) {
      fits = new Fits();
    }
    return fits;
  }

  public MethodOptions withTemperature(double t) {
    MethodOptions o = copy();
    o.temperature = Check.finitePositive(t, "temperature");
    return o;
  }

  /** ReAct's clipping threshold c (the chosen percentile of ID training activations). */
  public MethodOptions withReactThreshold(double c) {
    Check.argument(Double.isFinite(c), "ReAct threshold must be finite, got %s", c);
    MethodOptions o = copy();
    o.reactThreshold = c;
    return o;
  }

  /** The ASH variant of opnp_ash: "p", "b" or "s" (default "s"). */
  public MethodOptions withOpnpAshVariant(String variant) {
    Check.argument(variant != null && variant.matches("(?i)[pbs]"),
        "ASH variant must be one of p, b, s, got %s", variant);
    MethodOptions o = copy();
    o.opnpAshVariant = Ash.Variant.valueOf(variant.toUpperCase(java.util.Locale.ROOT));
    return o;
  }

  /** Mahalanobis ridge: {@code Σ + ridge · trace(Σ)/D · I} is inverted. */
  public MethodOptions withCovarianceRidge(double ridge) {
    Check.argument(Double.isFinite(ridge) && ridge >= 0, "covariance ridge must be finite and >= 0, got %s", ridge);
    MethodOptions o = copy();
    o.covarianceRidge = ridge;
    return o;
  }

  /** The OPNP-pruned head ({@code LinearHead.pruned(plan)}). */
  public MethodOptions withPrunedHead(LinearHead head) {
    Check.argument(head != null, "pruned head must not be null");
    MethodOptions o = copy();
    o.prunedHead = head;
    return o;
  }

  /**
   * ViM's fitted subspace and the mean of {@link VimSubspace#residualNormSum} over the training set
   * (total divided by the training count).
   */
  public MethodOptions withVim(VimSubspace subspace, double meanResidualNorm) {
    Check.argument(subspace != null, "ViM subspace must not be null");
    Check.finitePositive(meanResidualNorm, "ViM mean residual norm");
    MethodOptions o = copy();
    o.vimSubspace = subspace;
    o.vimMeanResidualNorm = meanResidualNorm;
    return o;
  }

  /** The bank of training features for knn (the whole bank, for single-JVM scoring). */
  public MethodOptions withKnnBank(KnnBank bank) {
    Check.argument(bank != null, "knn bank must not be null");
    MethodOptions o = copy();
    o.knnBank = bank;
    return o;
  }

  /** Hyper-parameter {@code p} set to {@code value} (checked); unset ones keep their defaults. */
  public MethodOptions with(Param p, double value) {
    Check.argument(p != null, "parameter must not be null");
    MethodOptions o = copy();
    o.values.put(p, p.check(value));
    return o;
  }

  /** Hyper-parameter {@code p}: as set, else its default. */
  public double value(Param p) {
    return values.getOrDefault(p, p.defaultValue());
  }

  public double temperature() {
    return temperature;
  }

  public double reactThreshold() {
    return reactThreshold;
  }

  Ash.Variant opnpAshVariant() {
    return opnpAshVariant;
  }

  public double covarianceRidge() {
    return covarianceRidge;
  }

  public LinearHead prunedHead() {
    return prunedHead;
  }

  public VimSubspace vimSubspace() {
    return vimSubspace;
  }

  public double vimMeanResidualNorm() {
    return vimMeanResidualNorm;
  }

  /** The other training statistics: normalized (MDS++, RMDS++), correct by class (SHE), softmax templates (KLM). */
  public MethodOptions withTraining(TrainingSums.Result t) {
    Check.argument(t != null, "training statistics must not be null");
    MethodOptions o = copy();
    o.training = t;
    return o;
  }

  /** NNGuide's bank. */
  /** A fusion's built members, each one's held-out ID scores in the same order, and how their p-values combine. */
  public MethodOptions withFusion(java.util.List<OodMethod> members, java.util.List<double[]> references,
                                  Fusion.Combination combination) {
    MethodOptions o = copy();
    o.fusionMembers = java.util.List.copyOf(members);
    o.fusionReferences = java.util.List.copyOf(references);
    o.fusionCombination = combination;
    return o;
  }

  public Fusion.Combination fusionCombination() {
    return fusionCombination;
  }

  public java.util.List<OodMethod> fusionMembers() {
    return fusionMembers;
  }

  public java.util.List<double[]> fusionReferences() {
    return fusionReferences;
  }

  public MethodOptions withGuides(GuideBank g) {
    Check.argument(g != null, "the guide bank must not be null");
    MethodOptions o = copy();
    o.guides = g;
    return o;
  }

  public GuideBank guides() {
    return guides;
  }

  public TrainingSums.Result training() {
    return training;
  }

  public KnnBank knnBank() {
    return knnBank;
  }
}
