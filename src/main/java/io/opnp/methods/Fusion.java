package io.opnp.methods;

import io.opnp.decision.ConformalPValues;
import io.opnp.math.Check;
import java.util.List;

/**
 * Several detectors fused by their conformal p-values: each member's score becomes the share of held-out ID scores
 * at or below it, {@code (1 + #{ref ≤ s}) / (n + 1)}, and the fused score is their harmonic mean (higher = more ID;
 * {@link Combination}). An input is about as unusual as its most surprised member says — 1/p of the smallest p-value
 * dominates the sum — so a detector that misses a kind of OOD data is covered by one that sees it, at the price of the
 * members' false alarms adding up (the threshold, set on held-out ID scores of the fused score like any method's,
 * accounts for that); unlike the minimum, the other members still count, so inputs one member finds equally unusual
 * are ranked by the rest. Not Fisher's product or the arithmetic mean: the members are strongly dependent (they read
 * the same features), and a mean washes out the one member that sees an OOD kind; the harmonic mean p-value stays
 * valid under dependence up to a small factor (Wilson, "The harmonic mean p-value for combining dependent tests",
 * PNAS 2019; Vovk &amp; Wang, "Combining p-values via averaging", Biometrika 2020; ensembles of OOD detectors: Haroush
 * et al., ICLR 2022).
 */
public final class Fusion implements OodMethod {
  private static final long serialVersionUID = 1L;
  /**
   * How the members' p-values combine. Saved with the detector: bundles written before the harmonic mean (which have
   * no combination in their parameters) keep the minimum their threshold was set for.
   */
  public enum Combination {
    /** The smallest p-value (Bonferroni), what fusions saved before the harmonic mean use. */
    MIN,
    /**
     * The harmonic mean of the p-values: measured against the minimum with the same members on nine real set-ups,
     * better on seven (by 0.05–0.46 point of mean test AUROC), 0.02 and 0.11 worse on two (BENCHMARKS.md, "Choosing
     * the detector on real models, part 4").
     */
    HARMONIC;

    /** Its name in saved detectors: "min" or "harmonic". */
    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The combination by its key; fails naming the known ones. */
    public static Combination parse(String key) {
      for (Combination c : values()) {
        if (c.key().equals(key)) {
          return c;
        }
      }
      throw new IllegalArgumentException(String.format("unknown fusion combination '%s'; known: %s", key,
          java.util.Arrays.stream(values()).map(Combination::key).toList()));
    }

    double start() {
      return this == MIN ? Double.POSITIVE_INFINITY : 0;
    }

    double fold(double acc, double p) {
      return this == MIN ? Math.min(acc, p) : acc + 1 / p;
    }

    /** The fused score from the folded value: higher = more in-distribution. */
    double finish(double acc, int members) {
      return this == MIN ? acc : members / acc;
    }
  }

  private final List<OodMethod> members;
  private final Combination combination;
  private final List<ConformalPValues> references;

  /**
   * @param members the fused detectors, all on the same features
   * @param references each member's held-out ID scores, in the members' order
   */
  public Fusion(List<OodMethod> members, List<double[]> references, Combination combination) {
    Check.argument(members != null && members.size() >= 2, "a fusion needs at least two members, got %s",
        members == null ? 0 : members.size());
    Check.argument(references != null && references.size() == members.size(),
        "a fusion of %s members needs as many reference score sets, got %s", members.size(),
        references == null ? 0 : references.size());
    for (OodMethod m : members) {
      Check.argument(m.dim() == members.get(0).dim(), "fusion members read %s and %s features", m.dim(),
          members.get(0).dim());
      Check.argument(!(m instanceof Fusion), "a fusion cannot hold another fusion");
    }
    this.members = List.copyOf(members);
    this.combination = java.util.Objects.requireNonNull(combination, "combination");
    this.references = references.stream().map(ConformalPValues::new).toList();
  }

  @Override
  public String name() {
    return Method.FUSION.key();
  }

  @Override
  public int dim() {
    return members.get(0).dim();
  }

  /** The fused detectors, in order. */
  public List<OodMethod> members() {
    return members;
  }

  @Override
  public void score(Batch batch, double[] out) {
    int n = batch.size();
    double[] s = new double[n];
    java.util.Arrays.fill(out, 0, n, combination.start());
    for (int m = 0; m < members.size(); m++) {
      members.get(m).score(batch, s);
      fold(combination, references.get(m), s, n, out);
    }
    finish(combination, members.size(), n, out);
  }

  /**
   * The fused scores of inputs the members have already scored ({@code memberScores[m][i]}, members in order),
   * against each member's held-out ID scores: what {@link #score} computes, for callers that hold the members'
   * scores (evaluate scores every configuration once and fuses on the driver).
   */
  public static double[] combine(List<double[]> memberScores, List<double[]> references, Combination combination) {
    Check.argument(memberScores.size() == references.size() && memberScores.size() >= 2,
        "a fusion needs two or more members' scores and as many references, got %s and %s", memberScores.size(),
        references.size());
    int n = memberScores.get(0).length;
    double[] out = new double[n];
    java.util.Arrays.fill(out, combination.start());
    for (int m = 0; m < memberScores.size(); m++) {
      Check.argument(memberScores.get(m).length == n, "member %s has %s scores, member 0 has %s", m,
          memberScores.get(m).length, n);
      fold(combination, new ConformalPValues(references.get(m)), memberScores.get(m), n, out);
    }
    finish(combination, memberScores.size(), n, out);
    return out;
  }

  /** Folds each p-value of s into out; a NaN (a member that cannot score the input) stays NaN: never quietly ID. */
  private static void fold(Combination c, ConformalPValues p, double[] s, int n, double[] out) {
    for (int i = 0; i < n; i++) {
      double v = p.pValue(s[i]);
      out[i] = Double.isNaN(v) || Double.isNaN(out[i]) ? Double.NaN : c.fold(out[i], v);
    }
  }

  private static void finish(Combination c, int members, int n, double[] out) {
    for (int i = 0; i < n; i++) {
      out[i] = c.finish(out[i], members);
    }
  }
}
