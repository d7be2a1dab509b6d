package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The method table: every post-hoc OOD method once, with its name, its hyper-parameters (each with
 * the paper's default and a selection grid), the fitted state it needs and how it is built. Every
 * entry point of a saved detector — evaluate's selection and test scoring, detect, the monitor and
 * {@code OodDetectorModel} — goes name → {@link #parse} → {@link DetectorSpec} → {@link #build} ({@code score}
 * and {@code OpnpModel} too, with the methods that need only the head and the sensitivity); adding a method is one
 * constant here and its test. Scores are "higher = more in-distribution"; see each class for its
 * paper and formula.
 */
public enum Method {
  /** Maximum softmax probability (Hendrycks &amp; Gimpel, ICLR 2017). */
  MSP("msp", Family.OUTPUT, List.of(), EnumSet.noneOf(Need.class), false,
      (name, head, stats, o) -> new HeadMethod(name, null, head, LogitScore.msp(o.temperature()))),
  /** Maximum logit (Hendrycks et al., ICML 2022). */
  MAX_LOGIT("maxlogit", Family.OUTPUT, List.of(), EnumSet.noneOf(Need.class), false,
      (name, head, stats, o) -> new HeadMethod(name, null, head, LogitScore.maxLogit())),
  /** Negative free energy T·logsumexp(f/T) (Liu et al., NeurIPS 2020). */
  ENERGY("energy", Family.OUTPUT, List.of(), EnumSet.noneOf(Need.class), false,
      (name, head, stats, o) -> new HeadMethod(name, null, head, LogitScore.energy(o.temperature()))),
  /** Energy of min(h, c) (Sun et al., NeurIPS 2021). */
  REACT("react", Family.SHAPING, List.of(Param.REACT_PERCENTILE), EnumSet.of(Need.REACT_THRESHOLD), false,
      (name, head, stats, o) -> new HeadMethod(name, react(o), head, LogitScore.energy(o.temperature()))),
  /** Energy through a DICE-sparsified head (Sun &amp; Li, ECCV 2022). */
  DICE("dice", Family.SHAPING, List.of(Param.DICE_SPARSITY), EnumSet.of(Need.STATS), false,
      (name, head, stats, o) -> new HeadMethod(name, null,
          Dice.sparsified(head, stats.mean(), o.value(Param.DICE_SPARSITY)), LogitScore.energy(o.temperature()))),
  /** Generalized entropy of the top-M softmax probabilities (Liu et al., CVPR 2023). */
  GEN("gen", Family.OUTPUT, List.of(Param.GEN_GAMMA, Param.GEN_M), EnumSet.noneOf(Need.class), false,
      (name, head, stats, o) -> new HeadMethod(name, null, head,
          LogitScore.gen(o.value(Param.GEN_GAMMA), (int) o.value(Param.GEN_M)))),
  /** Energy of ASH-P-shaped features (Djurisic et al., ICLR 2023). */
  ASH_P("ash_p", Family.SHAPING, List.of(Param.ASH_PERCENTILE), EnumSet.noneOf(Need.class), false,
      (name, head, stats, o) -> new HeadMethod(name, ash(Ash.Variant.P, o), head, LogitScore.energy(o.temperature()))),
  /** Energy of ASH-B-shaped features. */
  ASH_B("ash_b", Family.SHAPING, List.of(Param.ASH_PERCENTILE), EnumSet.noneOf(Need.class), false,
      (name, head, stats, o) -> new HeadMethod(name, ash(Ash.Variant.B, o), head, LogitScore.energy(o.temperature()))),
  /** Energy of ASH-S-shaped features. */
  ASH_S("ash_s", Family.SHAPING, List.of(Param.ASH_PERCENTILE), EnumSet.noneOf(Need.class), false,
      (name, head, stats, o) -> new HeadMethod(name, ash(Ash.Variant.S, o), head, LogitScore.energy(o.temperature()))),
  /** Energy of h·exp(s1/s2), ASH-S's scale without pruning (Xu et al., ICLR 2024). */
  SCALE("scale", Family.SHAPING, List.of(Param.SCALE_PERCENTILE), EnumSet.noneOf(Need.class), false,
      (name, head, stats, o) -> new HeadMethod(name, scale(o), head, LogitScore.energy(o.temperature()))),
  /** ‖∂KL(u‖p)/∂W‖₁ of the last layer (Huang et al., NeurIPS 2021). */
  GRADNORM("gradnorm", Family.GRADIENT, List.of(), EnumSet.noneOf(Need.class), false,
      (name, head, stats, o) -> new GradNorm(head, o.temperature())),
  /** −min_c Mahalanobis² to the class means, shared covariance (Lee et al., NeurIPS 2018). */
  MAHALANOBIS("mahalanobis", Family.DISTANCE, List.of(), EnumSet.of(Need.STATS), false,
      (name, head, stats, o) -> Mahalanobis.fit(stats, o)),
  /** Class-conditional minus background Mahalanobis distance (Ren et al., 2021). */
  RMDS("rmds", Family.DISTANCE, List.of(), EnumSet.of(Need.STATS), false,
      (name, head, stats, o) -> Rmds.fit(stats, o)),
  /** Distances to the predicted class's decision boundaries over ‖h − μ‖ (Liu &amp; Qin, ICML 2024). */
  FDBD("fdbd", Family.BOUNDARY, List.of(), EnumSet.of(Need.STATS), false,
      (name, head, stats, o) -> new Fdbd(head, stats.mean())),
  /** Alignment of h − μ with the predicted class's weights plus α‖h‖₁ (Liu &amp; Qin, CVPR 2025). */
  NCI("nci", Family.BOUNDARY, List.of(Param.NCI_ALPHA), EnumSet.of(Need.STATS), false,
      (name, head, stats, o) -> new Nci(head, stats.mean(), o.value(Param.NCI_ALPHA))),
  /** Mahalanobis on L2-normalized features (Müller &amp; Hein, ICML 2025). */
  MDSPP("mdspp", Family.DISTANCE, List.of(), EnumSet.of(Need.NORMALIZED_STATS), false,
      (name, head, stats, o) -> new Normalized(name, head.dim(),
          Mahalanobis.fit(o.training().normalized(), o))),
  /** RMDS on L2-normalized features (Müller &amp; Hein, ICML 2025). */
  RMDSPP("rmdspp", Family.DISTANCE, List.of(), EnumSet.of(Need.NORMALIZED_STATS), false,
      (name, head, stats, o) -> new Normalized(name, head.dim(), Rmds.fit(o.training().normalized(), o))),
  /** Inner product with the predicted class's stored pattern (Zhang et al., ICLR 2023). */
  SHE("she", Family.DISTANCE, List.of(), EnumSet.of(Need.PATTERNS), false,
      (name, head, stats, o) -> new She(head, o.training().correct())),
  /** −min_k KL(softmax ‖ class template) (Hendrycks et al., ICML 2022). */
  KLM("klm", Family.DISTANCE, List.of(), EnumSet.of(Need.TEMPLATES), false,
      (name, head, stats, o) -> new KlMatching(head, o.training().softmax())),
  /** Energy minus α‖x^{P⊥}‖ (Wang et al., CVPR 2022). */
  VIM("vim", Family.DISTANCE, List.of(), EnumSet.of(Need.STATS, Need.VIM), false,
      (name, head, stats, o) -> new Vim(head, o.vimSubspace(), Vim.alpha(stats, o.vimMeanResidualNorm()), o.temperature())),
  /** Energy times the mean similarity to the K closest energy-scaled training guides (Park et al., ICCV 2023). */
  NNGUIDE("nnguide", Family.DISTANCE, List.of(Param.NNGUIDE_K), EnumSet.of(Need.GUIDES), false,
      (name, head, stats, o) -> new NnGuide(head, o.guides(), (int) o.value(Param.NNGUIDE_K))),
  /** −k-th nearest-neighbour distance of normalized features (Sun et al., ICML 2022). */
  KNN("knn", Family.DISTANCE, List.of(Param.KNN_K), EnumSet.of(Need.BANK), false,
      (name, head, stats, o) -> new Knn(o.knnBank(), (int) o.value(Param.KNN_K))),
  /** Energy through the OPNP-pruned head (Chen et al., NeurIPS 2023). */
  OPNP("opnp", Family.SHAPING, List.of(), EnumSet.noneOf(Need.class), true,
      (name, head, stats, o) -> new HeadMethod(name, null, o.prunedHead(), LogitScore.energy(o.temperature()))),
  /** OPNP composed with ReAct. */
  OPNP_REACT("opnp_react", Family.SHAPING, List.of(Param.REACT_PERCENTILE), EnumSet.of(Need.REACT_THRESHOLD), true,
      (name, head, stats, o) -> new HeadMethod(name, react(o), o.prunedHead(), LogitScore.energy(o.temperature()))),
  /** OPNP composed with ASH (ASH-S unless {@link MethodOptions#withOpnpAshVariant}). */
  OPNP_ASH("opnp_ash", Family.SHAPING, List.of(Param.ASH_PERCENTILE), EnumSet.noneOf(Need.class), true,
      (name, head, stats, o) -> new HeadMethod(name, ash(o.opnpAshVariant(), o), o.prunedHead(),
          LogitScore.energy(o.temperature()))),
  /** OPNP composed with SCALE: the scaled features through the pruned head. */
  OPNP_SCALE("opnp_scale", Family.SHAPING, List.of(Param.SCALE_PERCENTILE), EnumSet.noneOf(Need.class), true,
      (name, head, stats, o) -> new HeadMethod(name, scale(o), o.prunedHead(), LogitScore.energy(o.temperature()))),
  /**
   * The harmonic mean of several member detectors' conformal p-values ({@link Fusion}); its members are a
   * {@link DetectorSpec}'s, evaluate fuses the leading configurations of different methods.
   */
  FUSION("fusion", Family.FUSION, List.of(), EnumSet.of(Need.REFERENCES), false,
      (name, head, stats, o) -> new Fusion(o.fusionMembers(), o.fusionReferences(), o.fusionCombination()));

  /**
   * What a method reads to tell ID from OOD. Methods of one family tend to fail on the same OOD data, so a fusion
   * takes its members from different families.
   */
  public enum Family {
    /** The logits or softmax outputs only. */
    OUTPUT(false),
    /** Energy after shaping the features or pruning the head (ReAct, DICE, ASH, SCALE, OPNP). */
    SHAPING(false),
    /** The size of the last layer's gradient. */
    GRADIENT(false),
    /**
     * Distances or densities relative to where the training classes lie (Mahalanobis, KNN, ViM's residual, SHE,
     * NNGuide, KL matching's class templates).
     */
    DISTANCE(true),
    /** Feature position relative to the classes' decision boundaries (fDBD, NCI). */
    BOUNDARY(false),
    /** A fusion of members from other families. */
    FUSION(false);

    private final boolean fitsTrainingClasses;

    Family(boolean fitsTrainingClasses) {
      this.fitsTrainingClasses = fitsTrainingClasses;
    }

    /**
     * Whether the family's fit describes each training class (its mean, its features, its templates, the subspace
     * they span): images of a class the training rows lack then look out-of-distribution to it, so it is fit for
     * recommending only when the training rows cover the classifier's classes.
     */
    public boolean fitsTrainingClasses() {
      return fitsTrainingClasses;
    }
  }

  /** Fitted state a method needs beyond the head; each saves and loads its own part ({@link StateParts}). */
  public enum Need {
    /** {@link FeatureStats} of the training features. */
    STATS(StateParts.stats(TrainingSums.Slice.FEATURES)),
    /** ReAct's clip value at the spec's percentile. */
    REACT_THRESHOLD(StateParts.REACT),
    /** Statistics of the L2-normalized training features. */
    NORMALIZED_STATS(StateParts.stats(TrainingSums.Slice.NORMALIZED)),
    /** Mean features of the correctly classified training samples, by class. */
    PATTERNS(StateParts.stats(TrainingSums.Slice.CORRECT)),
    /** Mean softmax outputs by predicted class. */
    TEMPLATES(StateParts.stats(TrainingSums.Slice.SOFTMAX)),
    /** ViM's principal subspace and mean training residual norm. */
    VIM(StateParts.VIM),
    /** The KNN bank. */
    BANK(StateParts.BANK),
    /** NNGuide's bank of guides. */
    GUIDES(StateParts.GUIDES),
    /** A fusion's members' held-out ID scores, its p-values' reference. */
    REFERENCES(StateParts.REFERENCES);

    private final StateParts.Part part;

    Need(StateParts.Part part) {
      this.part = part;
    }

    /** How this need's state is saved and restored. */
    public StateParts.Part part() {
      return part;
    }

    /** Its key in a saved detector, e.g. {@code normalized_stats}. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The fitted state this method needs, in {@link Need}'s order. */
  public Set<Need> needs() {
    return java.util.Collections.unmodifiableSet(needs);
  }

  /** Builds the scorer from the head, the statistics (null unless needed) and the checked options. */
  @FunctionalInterface
  interface Builder {
    OodMethod build(String name, LinearHead head, FeatureStats stats, MethodOptions options);
  }

  private final String key;
  private final Family family;
  private final List<Param> params;
  private final Set<Need> needs;
  private final boolean usesPlan;
  private final Builder builder;

  Method(String key, Family family, List<Param> params, Set<Need> needs, boolean usesPlan, Builder builder) {
    this.key = key;
    this.family = family;
    this.params = params;
    this.needs = needs;
    this.usesPlan = usesPlan;
    this.builder = builder;
  }

  /** Every method name, in table order. */
  public static final List<String> NAMES = Arrays.stream(values()).map(Method::key).toList();

  /** The method named {@code name} (case-insensitive); fails naming the known ones. */
  public static Method parse(String name) {
    if (name != null) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      for (Method m : values()) {
        if (m.key.equals(n)) {
          return m;
        }
      }
    }
    throw new IllegalArgumentException("unknown OOD method " + name + "; known: " + NAMES);
  }

  /** The name, so that text built from a method reads as users write it. */
  @Override
  public String toString() {
    return key;
  }

  /** The name in reports, score columns and saved detectors, e.g. {@code opnp_react}. */
  public String key() {
    return key;
  }

  /** What the method reads to tell ID from OOD. */
  public Family family() {
    return family;
  }

  /** The hyper-parameters, in the order labels show them. */
  public List<Param> params() {
    return params;
  }

  public boolean needs(Need n) {
    return needs.contains(n);
  }

  /** Whether the method scores through the OPNP-pruned head (and so needs a plan and the sensitivity). */
  public boolean usesPlan() {
    return usesPlan;
  }

  /**
   * Builds the method.
   *
   * @param head the original (unpruned) last layer
   * @param stats training-feature statistics; may be null unless {@link Need#STATS}
   * @param options hyper-parameters and fitted inputs
   */
  public OodMethod build(LinearHead head, FeatureStats stats, MethodOptions options) {
    Check.argument(head != null, "method %s needs the classifier head", key);
    Check.argument(options != null, "method %s needs options (MethodOptions.defaults())", key);
    if (needs(Need.STATS)) {
      Check.argument(stats != null, "method %s needs feature statistics of the training set", key);
      Check.argument(stats.classes() == head.classes() && stats.dim() == head.dim(),
          "feature statistics of shape %sx%s do not match head shape %sx%s", stats.classes(), stats.dim(),
          head.classes(), head.dim());
    }
    for (Need n : List.of(Need.NORMALIZED_STATS, Need.PATTERNS, Need.TEMPLATES)) {
      if (needs(n)) {
        TrainingSums.Result t = options.training();
        Check.argument(t != null && (n != Need.NORMALIZED_STATS || t.normalized() != null)
            && (n != Need.PATTERNS || t.correct() != null) && (n != Need.TEMPLATES || t.softmax() != null),
            "method %s needs MethodOptions.withTraining(sums) with its %s%s", key, n.toString().toLowerCase(Locale.ROOT),
            n == Need.PATTERNS ? " (none when no training sample is classified correctly)" : "");
      }
    }
    if (needs(Need.VIM)) {
      Check.argument(options.vimSubspace() != null, "method %s needs MethodOptions.withVim(subspace, meanResidualNorm)",
          key);
    }
    if (needs(Need.BANK)) {
      Check.argument(options.knnBank() != null, "method %s needs MethodOptions.withKnnBank(bank)", key);
      Check.argument(options.knnBank().dim() == head.dim(), "knn bank has dimension %s but the head %s",
          options.knnBank().dim(), head.dim());
    }
    if (needs(Need.GUIDES)) {
      Check.argument(options.guides() != null, "method %s needs MethodOptions.withGuides(bank)", key);
    }
    if (needs(Need.REACT_THRESHOLD)) {
      Check.argument(!Double.isNaN(options.reactThreshold()), "method %s needs MethodOptions.withReactThreshold(c), "
          + "c = a percentile of ID training activations", key);
    }
    if (needs(Need.REFERENCES)) {
      Check.argument(options.fusionMembers() != null, "method %s needs MethodOptions.withFusion(members, references)",
          key);
    }
    if (usesPlan) {
      LinearHead p = options.prunedHead();
      Check.argument(p != null, "method %s needs MethodOptions.withPrunedHead(head.pruned(plan))", key);
      Check.argument(p.classes() == head.classes() && p.dim() == head.dim(),
          "pruned head of shape %sx%s does not match head shape %sx%s", p.classes(), p.dim(), head.classes(),
          head.dim());
    }
    return builder.build(key, head, stats, options);
  }

  private static ReactClip react(MethodOptions o) {
    return new ReactClip(o.reactThreshold());
  }

  private static Scale scale(MethodOptions o) {
    return new Scale(o.value(Param.SCALE_PERCENTILE));
  }

  private static Ash ash(Ash.Variant v, MethodOptions o) {
    return new Ash(v, o.value(Param.ASH_PERCENTILE));
  }
}
