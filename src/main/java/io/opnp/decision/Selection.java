package io.opnp.decision;

import io.opnp.math.Check;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * Choosing a detector configuration on several validation OOD proxies, with the evidence a reader
 * needs to trust the choice: the full ranking, a leave-one-proxy-out audit (does the choice hinge
 * on one proxy?) and whether pruning beats the plain baseline at all.
 *
 * <p>Ranking: higher criterion, then higher mean AUROC, then lower mean FPR95, then earlier in the
 * input list, so callers list simpler methods first to have them win exact ties. Figures are
 * compared rounded to 1e-12, so that summation order alone (0.91 + 0.90 + 0.89 vs 3 × 0.90) cannot
 * break a tie; real AUROC differences are far larger.
 */
public record Selection(Criterion criterion, List<String> proxies, List<Double> weights, List<Candidate> ranking,
    Candidate chosen, List<LeaveOneOut> audit, PruningVerdict verdict, ChoiceRule rule) {
  private static final int TABLE_ROWS = 20;

  public Selection {
    proxies = List.copyOf(proxies);
    weights = List.copyOf(weights);
    ranking = List.copyOf(ranking);
    audit = List.copyOf(audit);
  }

  /**
   * @param baselineMethod the method pruning must beat, e.g. "energy"
   * @param isPruning which method names are pruning detectors, e.g. "opnp"
   */
  public static Selection select(List<String> proxies, List<Candidate> candidates, Criterion criterion,
      String baselineMethod, Predicate<String> isPruning) {
    double[] equal = new double[proxies == null ? 0 : proxies.size()];
    java.util.Arrays.fill(equal, 1);
    return select(proxies, equal, candidates, criterion, baselineMethod, isPruning);
  }

  /**
   * {@link #select(List, List, Criterion, String, Predicate)} with a weight per proxy in the mean criterion (e.g. the
   * user's own OOD validation sets counting for more than the synthetic proxies).
   */
  public static Selection select(List<String> proxies, double[] weights, List<Candidate> candidates,
      Criterion criterion, String baselineMethod, Predicate<String> isPruning) {
    Check.argument(weights != null && proxies != null && weights.length == proxies.size(),
        "%s proxy weights for the proxies %s", weights == null ? 0 : weights.length, proxies);
    Check.argument(proxies != null && !proxies.isEmpty(), "no validation proxies given");
    Check.argument(proxies.stream().allMatch(Objects::nonNull), "proxy names must not be null, got %s", proxies);
    Check.argument(new HashSet<>(proxies).size() == proxies.size(), "proxy names must be distinct, got %s", proxies);
    Check.argument(candidates != null && !candidates.isEmpty(), "no candidates to select from");
    for (Candidate c : candidates) {
      Check.argument(c != null, "candidates must not be null");
      Check.argument(c.proxies() == proxies.size(), "candidate %s has results on %s proxies but %s proxies are given %s",
          c.label(), c.proxies(), proxies.size(), proxies);
    }
    Objects.requireNonNull(criterion, "criterion");
    Objects.requireNonNull(baselineMethod, "baselineMethod");
    Objects.requireNonNull(isPruning, "isPruning");

    int[] all = IntStream.range(0, proxies.size()).toArray();
    List<Candidate> ranking = rank(candidates, criterion, weights, all);
    Candidate chosen = ranking.get(0);
    List<LeaveOneOut> audit = new ArrayList<>();
    for (int i = 0; proxies.size() > 1 && i < proxies.size(); i++) {
      int leftOut = i;
      Candidate without = rank(candidates, criterion, weights, IntStream.of(all).filter(j -> j != leftOut).toArray())
          .get(0);
      audit.add(new LeaveOneOut(proxies.get(i), without, without != chosen, without.auroc(i)));
    }
    Candidate bestPruning = ranking.stream().filter(c -> isPruning.test(c.method())).findFirst().orElse(null);
    Candidate baseline = ranking.stream().filter(c -> c.method().equals(baselineMethod)).findFirst().orElse(null);
    PruningVerdict verdict = verdict(bestPruning, baseline, baselineMethod, criterion, weights, proxies.size());
    return new Selection(criterion, proxies, java.util.Arrays.stream(weights).boxed().toList(), ranking, chosen, audit,
        verdict, ChoiceRule.BEST);
  }

  /**
   * This selection recommending {@code fusion} ({@link ChoiceRule#FUSION}): it joins the ranking at its own rank on
   * the proxies; the audit stays that of the configuration ranked first among the others (the fusion's first
   * member), and so does the verdict on pruning.
   */
  public Selection recommending(Candidate fusion) {
    Check.argument(fusion != null && fusion.proxies() == proxies.size(),
        "the fusion needs results on the %s proxies %s", proxies.size(), proxies);
    Check.argument(rule == ChoiceRule.BEST, "this selection already recommends a fusion: %s", chosen.label());
    List<Candidate> all = new ArrayList<>(ranking);
    all.add(fusion);
    return new Selection(criterion, proxies, weights, rank(all, criterion, weightArray(),
        IntStream.range(0, proxies.size()).toArray()), fusion, audit, verdict, ChoiceRule.FUSION);
  }

  /** The configuration ranked first among those that are not the recommended fusion. */
  public Candidate leader() {
    return ranking.stream().filter(c -> rule == ChoiceRule.BEST || c != chosen).findFirst().orElseThrow();
  }

  /** Whether leaving out any one proxy keeps the same choice (of the leader, under {@link ChoiceRule#FUSION}). */
  public boolean stable() {
    return audit.stream().noneMatch(LeaveOneOut::changed);
  }

  /**
   * The ranking's candidates ranked again by {@code by} over the given proxies only (indices into {@link #proxies}),
   * the same tie-breaks as the ranking.
   */
  public List<Candidate> rankingOn(Criterion by, int[] proxyIndices) {
    Check.argument(proxyIndices != null && proxyIndices.length > 0, "rank on at least one proxy");
    for (int i : proxyIndices) {
      Check.argument(i >= 0 && i < proxies.size(), "proxy index %s is not one of the %s proxies %s", i,
          proxies.size(), proxies);
    }
    return rank(ranking, by, weightArray(), proxyIndices);
  }

  /** The criterion of a candidate over all proxies, weighted. */
  public double criterionOf(Candidate c) {
    return criterion.of(c.aurocs(), weightArray());
  }

  /** The proxies' weights, in proxy order. */
  public double[] weightArray() {
    return weights.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /**
   * The ranking as a Markdown table, in percent: the top 20 rows, plus the baseline and the best
   * pruning detector (at their own ranks) when they rank lower.
   */
  public String markdownTable() {
    StringBuilder out = new StringBuilder("| rank | detector | ").append(criterion.description()).append(" (%) |");
    proxies.forEach(p -> out.append(' ').append(escape(p)).append(" AUROC (%) |"));
    out.append("\n|---:|---|---:|").append("---:|".repeat(proxies.size())).append('\n');
    for (int r = 0; r < ranking.size(); r++) {
      Candidate c = ranking.get(r);
      if (r < TABLE_ROWS || c == verdict.baseline() || c == verdict.bestPruning()) {
        out.append("| ").append(r + 1).append(" | ").append(escape(c.label())).append(" | ")
            .append(percent(criterionOf(c))).append(" |");
        for (int i = 0; i < proxies.size(); i++) {
          out.append(' ').append(percent(c.auroc(i))).append(" |");
        }
        out.append('\n');
      }
    }
    return out.toString();
  }

  /** The candidates best first on the given proxies; List.sort is stable, so input order breaks exact ties. */
  private static List<Candidate> rank(List<Candidate> candidates, Criterion criterion, double[] weights,
                                      int[] proxies) {
    record Scored(Candidate candidate, long criterion, long meanAuroc, long meanFpr95) {}
    List<Scored> scored = new ArrayList<>();
    for (Candidate c : candidates) {
      double[] aurocs = IntStream.of(proxies).mapToDouble(c::auroc).toArray();
      double[] fpr95s = IntStream.of(proxies).mapToDouble(c::fpr95).toArray();
      double[] w = IntStream.of(proxies).mapToDouble(i -> weights[i]).toArray();
      scored.add(new Scored(c, rounded(criterion.of(aurocs, w)), rounded(Criterion.MEAN.of(aurocs, w)),
          rounded(Criterion.MEAN.of(fpr95s))));
    }
    scored.sort(Comparator.comparingLong(Scored::criterion).reversed()
        .thenComparing(Comparator.comparingLong(Scored::meanAuroc).reversed())
        .thenComparingLong(Scored::meanFpr95));
    return scored.stream().map(Scored::candidate).toList();
  }

  private static PruningVerdict verdict(Candidate pruning, Candidate baseline, String baselineMethod,
      Criterion criterion, double[] weights, int proxies) {
    double p = pruning == null ? Double.NaN : criterion.of(pruning.aurocs(), weights);
    double b = baseline == null ? Double.NaN : criterion.of(baseline.aurocs(), weights);
    String over = proxies == 1 ? "on the one validation proxy" : "over the " + proxies + " validation proxies";
    String figure = (criterion == Criterion.MEAN ? "averages " : "has a worst-case AUROC of ") + percent(p) + " %"
        + (criterion == Criterion.MEAN ? " AUROC " : " ") + over;
    boolean helps = pruning != null && baseline != null && rounded(p) > rounded(b);
    String reason;
    if (pruning == null) {
      reason = "whether pruning helps this model is unknown: no pruning detector was evaluated";
    } else if (baseline == null) {
      reason = String.format("whether pruning helps this model is unknown: the best pruning detector, %s, %s, "
          + "but plain %s, the baseline, was not evaluated", pruning.label(), figure, baselineMethod);
    } else {
      reason = String.format("pruning %s this model: the best pruning detector, %s, %s against %s %% for plain %s",
          helps ? "helps" : "does not help", pruning.label(), figure, percent(b), baseline.label());
    }
    return new PruningVerdict(pruning, baseline, p, b, helps, reason);
  }

  /** Figures in units of 1e-12, the resolution ties are judged at. */
  private static long rounded(double x) {
    return Math.round(x * 1e12);
  }

  private static String percent(double x) {
    return String.format(Locale.ROOT, "%.2f", 100 * x);
  }

  private static String escape(String s) {
    return s.replace("|", "\\|");
  }
}
