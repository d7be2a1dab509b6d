package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;
import java.util.List;

/**
 * Builds the post-hoc OOD methods by name. Every method scores penultimate features h with
 * "higher = more in-distribution"; see each class for its paper, formula and defaults.
 *
 * <table>
 *   <caption>Methods</caption>
 *   <tr><th>name</th><th>features</th><th>head</th><th>score</th><th>needs</th></tr>
 *   <tr><td>msp</td><td>h</td><td>W, b</td><td>max softmax</td><td></td></tr>
 *   <tr><td>maxlogit</td><td>h</td><td>W, b</td><td>max logit</td><td></td></tr>
 *   <tr><td>energy</td><td>h</td><td>W, b</td><td>T·logsumexp(f/T)</td><td></td></tr>
 *   <tr><td>react</td><td>min(h, c)</td><td>W, b</td><td>energy</td><td>ReAct threshold</td></tr>
 *   <tr><td>dice</td><td>h</td><td>DICE-sparsified W</td><td>energy</td><td>stats (mean)</td></tr>
 *   <tr><td>ash_p, ash_b, ash_s</td><td>ASH(h)</td><td>W, b</td><td>energy</td><td></td></tr>
 *   <tr><td>gradnorm</td><td>h</td><td>W, b</td><td>‖∂KL(u‖p)/∂W‖₁</td><td></td></tr>
 *   <tr><td>mahalanobis</td><td>h</td><td>—</td><td>−min_c Mahalanobis²</td><td>stats with second moments</td></tr>
 *   <tr><td>vim</td><td>h</td><td>W, b</td><td>energy − α‖x^{P⊥}‖</td><td>stats, ViM subspace + residual mean</td></tr>
 *   <tr><td>knn</td><td>h/‖h‖</td><td>—</td><td>−k-th NN distance</td><td>knn bank</td></tr>
 *   <tr><td>opnp</td><td>h</td><td>pruned</td><td>energy</td><td>pruned head</td></tr>
 *   <tr><td>opnp_react</td><td>min(h, c)</td><td>pruned</td><td>energy</td><td>pruned head, ReAct threshold</td></tr>
 *   <tr><td>opnp_ash</td><td>ASH(h)</td><td>pruned</td><td>energy</td><td>pruned head</td></tr>
 * </table>
 */
public final class OodMethods {
  public static final String MSP = "msp";
  public static final String MAX_LOGIT = "maxlogit";
  public static final String ENERGY = "energy";
  public static final String REACT = "react";
  public static final String DICE = "dice";
  public static final String ASH_P = "ash_p";
  public static final String ASH_B = "ash_b";
  public static final String ASH_S = "ash_s";
  public static final String GRADNORM = "gradnorm";
  public static final String MAHALANOBIS = "mahalanobis";
  public static final String VIM = "vim";
  public static final String KNN = "knn";
  public static final String OPNP = "opnp";
  public static final String OPNP_REACT = "opnp_react";
  public static final String OPNP_ASH = "opnp_ash";

  /** Every method name, in the order above. */
  public static final List<String> NAMES = List.of(MSP, MAX_LOGIT, ENERGY, REACT, DICE, ASH_P, ASH_B, ASH_S,
      GRADNORM, MAHALANOBIS, VIM, KNN, OPNP, OPNP_REACT, OPNP_ASH);

  private OodMethods() {}

  /** Whether {@code name} needs {@link FeatureStats} (fitted on the ID training features). */
  public static boolean needsStats(String name) {
    return DICE.equals(name) || MAHALANOBIS.equals(name) || VIM.equals(name);
  }

  /** Whether {@code name} needs the second moments {@code Σ h hᵀ} in its {@link FeatureStats}. */
  public static boolean needsSecondMoments(String name) {
    return MAHALANOBIS.equals(name) || VIM.equals(name);
  }

  /**
   * Builds method {@code name}.
   *
   * @param head the original (unpruned) last layer
   * @param stats training-feature statistics; may be null unless {@link #needsStats(String)}
   * @param options hyper-parameters and fitted inputs
   */
  public static OodMethod create(String name, LinearHead head, FeatureStats stats, MethodOptions options) {
    Check.argument(name != null && NAMES.contains(name), "unknown OOD method %s; known: %s", name, NAMES);
    Check.argument(head != null, "method %s needs the classifier head", name);
    Check.argument(options != null, "method %s needs options (MethodOptions.defaults())", name);
    if (needsStats(name)) {
      Check.argument(stats != null, "method %s needs feature statistics of the training set", name);
      Check.argument(stats.classes() == head.classes() && stats.dim() == head.dim(),
          "feature statistics of shape %sx%s do not match head shape %sx%s", stats.classes(), stats.dim(),
          head.classes(), head.dim());
    }
    double t = options.temperature();
    switch (name) {
      case MSP:
        return new HeadMethod(name, null, head, LogitScore.MSP, t);
      case MAX_LOGIT:
        return new HeadMethod(name, null, head, LogitScore.MAX_LOGIT, t);
      case ENERGY:
        return new HeadMethod(name, null, head, LogitScore.ENERGY, t);
      case REACT:
        return new HeadMethod(name, react(name, options), head, LogitScore.ENERGY, t);
      case DICE:
        return new HeadMethod(name, null, Dice.sparsified(head, stats.mean(), options.diceSparsity()),
            LogitScore.ENERGY, t);
      case ASH_P:
        return new HeadMethod(name, new Ash(Ash.Variant.P, options.ashPercentile()), head, LogitScore.ENERGY, t);
      case ASH_B:
        return new HeadMethod(name, new Ash(Ash.Variant.B, options.ashPercentile()), head, LogitScore.ENERGY, t);
      case ASH_S:
        return new HeadMethod(name, new Ash(Ash.Variant.S, options.ashPercentile()), head, LogitScore.ENERGY, t);
      case GRADNORM:
        return new GradNorm(head, t);
      case MAHALANOBIS:
        return Mahalanobis.fit(stats, options.covarianceRidge());
      case VIM:
        Check.argument(options.vimSubspace() != null,
            "method vim needs MethodOptions.withVim(subspace, meanResidualNorm)");
        return new Vim(head, options.vimSubspace(), Vim.alpha(stats, options.vimMeanResidualNorm()), t);
      case KNN:
        Check.argument(options.knnBank() != null, "method knn needs MethodOptions.withKnnBank(bank)");
        Check.argument(options.knnBank().dim() == head.dim(), "knn bank has dimension %s but the head %s",
            options.knnBank().dim(), head.dim());
        return new Knn(options.knnBank(), options.knnK());
      case OPNP:
        return new HeadMethod(name, null, pruned(name, head, options), LogitScore.ENERGY, t);
      case OPNP_REACT:
        return new HeadMethod(name, react(name, options), pruned(name, head, options), LogitScore.ENERGY, t);
      case OPNP_ASH:
        return new HeadMethod(name, new Ash(options.opnpAshVariant(), options.ashPercentile()),
            pruned(name, head, options), LogitScore.ENERGY, t);
      default:
        throw new IllegalStateException("unhandled method " + name);
    }
  }

  /**
   * Scores a batch with several methods: {@code out[m][k]} is method m's score of row k. KNN methods
   * that share a bank share one distance pass, at the largest k (the k-th smallest of the same
   * distances is the same number, so each equals its own pass bit for bit).
   */
  public static void scoreAll(List<OodMethod> methods, double[] features, int n, double[][] out) {
    Check.argument(out.length == methods.size(), "need %s output rows, got %s", methods.size(), out.length);
    java.util.Map<KnnBank, Integer> kmax = new java.util.IdentityHashMap<>();
    for (OodMethod m : methods) {
      if (m instanceof Knn knn) {
        kmax.merge(knn.bank(), knn.k(), Math::max);
      }
    }
    java.util.Map<KnnBank, TopK> nearest = new java.util.IdentityHashMap<>();
    for (int i = 0; i < methods.size(); i++) {
      OodMethod m = methods.get(i);
      if (m instanceof Knn knn) {
        TopK t = nearest.computeIfAbsent(knn.bank(), b -> TopK.of(b, features, n, kmax.get(b)));
        System.arraycopy(Knn.scores(t, knn.k()), 0, out[i], 0, n);
      } else {
        m.score(features, n, out[i]);
      }
    }
  }

  private static ReactClip react(String name, MethodOptions options) {
    Check.argument(!Double.isNaN(options.reactThreshold()),
        "method %s needs MethodOptions.withReactThreshold(c), c = a percentile of ID training activations", name);
    return new ReactClip(options.reactThreshold());
  }

  private static LinearHead pruned(String name, LinearHead head, MethodOptions options) {
    LinearHead p = options.prunedHead();
    Check.argument(p != null, "method %s needs MethodOptions.withPrunedHead(head.pruned(plan))", name);
    Check.argument(p.classes() == head.classes() && p.dim() == head.dim(),
        "pruned head of shape %sx%s does not match head shape %sx%s", p.classes(), p.dim(), head.classes(),
        head.dim());
    return p;
  }
}
