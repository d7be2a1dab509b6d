package io.opnp.methods;

import io.opnp.decision.ConformalPValues;
import io.opnp.math.Check;
import java.util.List;

/**
 * Several detectors fused by their conformal p-values: each member's score becomes the share of held-out ID scores
 * at or below it, {@code (1 + #{ref ≤ s}) / (n + 1)}, and the fused score is the smallest of them (higher = more ID).
 * An input is as unusual as its most surprised member says: a detector that misses a kind of OOD data is covered
 * by one that sees it, at the price of the members' false alarms adding up (the threshold, set on held-out ID
 * scores of the fused score like any method's, accounts for that). Min rather than Fisher's or the mean: the
 * members are strongly dependent (they read the same features), which makes Fisher's χ² calibration wrong and lets
 * a mean wash out the one member that sees an OOD kind; min of p-values is Bonferroni's combination, valid under
 * any dependence (Vovk &amp; Wang, "Combining p-values via averaging", Biometrika 2020; ensembles of OOD
 * detectors: Haroush et al., ICLR 2022, "A statistical framework for efficient out of distribution detection").
 */
public final class Fusion implements OodMethod {
  private static final long serialVersionUID = 1L;
  private final List<OodMethod> members;
  private final List<ConformalPValues> references;

  /**
   * @param members the fused detectors, all on the same features
   * @param references each member's held-out ID scores, in the members' order
   */
  public Fusion(List<OodMethod> members, List<double[]> references) {
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
    java.util.Arrays.fill(out, 0, n, Double.POSITIVE_INFINITY);
    for (int m = 0; m < members.size(); m++) {
      members.get(m).score(batch, s);
      fold(references.get(m), s, n, out);
    }
  }

  /**
   * The fused scores of inputs the members have already scored ({@code memberScores[m][i]}, members in order),
   * against each member's held-out ID scores: what {@link #score} computes, for callers that hold the members'
   * scores (evaluate scores every configuration once and fuses on the driver).
   */
  public static double[] combine(List<double[]> memberScores, List<double[]> references) {
    Check.argument(memberScores.size() == references.size() && memberScores.size() >= 2,
        "a fusion needs two or more members' scores and as many references, got %s and %s", memberScores.size(),
        references.size());
    int n = memberScores.get(0).length;
    double[] out = new double[n];
    java.util.Arrays.fill(out, Double.POSITIVE_INFINITY);
    for (int m = 0; m < memberScores.size(); m++) {
      Check.argument(memberScores.get(m).length == n, "member %s has %s scores, member 0 has %s", m,
          memberScores.get(m).length, n);
      fold(new ConformalPValues(references.get(m)), memberScores.get(m), n, out);
    }
    return out;
  }

  /** out[i] = min(out[i], p-value of s[i]); a NaN (a member that cannot score the input) stays NaN: never quietly ID. */
  private static void fold(ConformalPValues p, double[] s, int n, double[] out) {
    for (int i = 0; i < n; i++) {
      double v = p.pValue(s[i]);
      out[i] = Double.isNaN(v) || Double.isNaN(out[i]) ? Double.NaN : Math.min(out[i], v);
    }
  }
}
