package io.opnp.eval;

import io.opnp.decision.Candidate;
import io.opnp.decision.Criterion;
import io.opnp.decision.FalseAlarmEstimate;
import io.opnp.decision.Interval;
import io.opnp.decision.LeaveOneOut;
import io.opnp.decision.PruningVerdict;
import io.opnp.decision.Selection;
import io.opnp.math.Check;
import io.opnp.math.OodMetrics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Row;

/**
 * The recommended detector, first in metrics.json and report.md: what, why (the per-proxy table, the
 * leave-one-out audit, whether pruning helps), the threshold and the false-alarm rate to expect, and
 * how it did on the test sets, which played no part in choosing it. Built once from the selection's
 * outcome ({@link #of}); {@link #json()} is metrics.json's "recommendation", {@link #bundleSummary()}
 * the detector bundle's "selection". Immutable.
 *
 * @param method the chosen spec's method key, e.g. "react"
 * @param label the chosen spec's label, e.g. "react(clip p=90)"
 * @param parameters the chosen spec's hyper-parameters and plan, by key, in the spec's order
 * @param criterionAuroc the chosen configuration's criterion over all proxies
 * @param rule how the recommendation followed from the ranking
 * @param proxies the validation OOD proxies, in selection order
 * @param proxyWeights each proxy's weight in the mean criterion, in proxy order
 * @param why one sentence on why this detector was chosen
 * @param ranking every configuration, best first
 * @param leaveOneOut the choice redone without each proxy
 * @param stable whether leaving out any one proxy keeps the choice
 * @param test the chosen detector's figures on the ID test set, then on each OOD test set
 * @param testAverageAuroc the mean AUROC over the OOD test sets, NaN when there is none
 */
public record Recommendation(String method, String label, Map<String, Object> parameters, Criterion criterion,
                             double criterionAuroc, io.opnp.decision.ChoiceRule rule, List<String> proxies,
                             List<Double> proxyWeights, String why, ThresholdFigures threshold,
                             List<Ranked> ranking, List<Audit> leaveOneOut, boolean stable, Pruning pruning,
                             List<TestFigures> test, double testAverageAuroc) {
  /** How inputs are flagged, as metrics.json states it. */
  static final String RULE = "flag an input as out-of-distribution when its score is below the threshold";

  public Recommendation {
    Check.argument(method != null && !method.isBlank(), "a recommendation needs a method, got '%s'", method);
    Check.argument(label != null && !label.isBlank(), "a recommendation needs a label, got '%s'", label);
    Objects.requireNonNull(criterion, "criterion");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(why, "why");
    Objects.requireNonNull(threshold, "threshold");
    Objects.requireNonNull(pruning, "pruning");
    // Values may be null in a parameters map, so no Map.copyOf; the order is the spec's and is kept.
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    proxies = List.copyOf(proxies);
    proxyWeights = List.copyOf(proxyWeights);
    Check.argument(proxyWeights.size() == proxies.size(), "%s weights for the proxies %s", proxyWeights.size(), proxies);
    ranking = List.copyOf(ranking);
    leaveOneOut = List.copyOf(leaveOneOut);
    test = List.copyOf(test);
  }

  /**
   * The threshold and what it is expected to do on new ID inputs.
   *
   * @param keepIdShare the share of held-out ID calibration scores the threshold was set to keep
   * @param calibrationIdCount how many held-out ID images it was set on
   * @param falseAlarmInterval95 the bootstrap 95 % interval of the expected false-alarm rate
   */
  public record ThresholdFigures(double keepIdShare, double threshold, int calibrationIdCount,
                                 double expectedFalseAlarmRate, Interval falseAlarmInterval95, int bootstrapResamples) {
    public ThresholdFigures {
      Check.argument(calibrationIdCount >= 0, "calibration count must not be negative, got %s", calibrationIdCount);
      Objects.requireNonNull(falseAlarmInterval95, "falseAlarmInterval95");
    }
  }

  /** One configuration of the ranking: its criterion and, per proxy in selection order, AUROC and FPR95. */
  public record Ranked(String detector, double criterionAuroc, List<ProxyFigures> proxies) {
    public Ranked {
      proxies = List.copyOf(proxies);
    }
  }

  /** A configuration's figures on one validation proxy. */
  public record ProxyFigures(String proxy, double auroc, double fpr95) {}

  /** The choice redone without one proxy, by label. */
  public record Audit(String leftOut, String chosenWithout, boolean changed, double leftOutAurocOfChosenWithout) {}

  /**
   * Whether pruning beats energy on the criterion.
   *
   * @param bestPruning the best pruning configuration's label, null when none was evaluated
   * @param bestPruningCriterionAuroc its criterion, NaN when none was evaluated
   * @param energyCriterionAuroc plain energy's criterion, NaN when it was not evaluated
   */
  public record Pruning(boolean helps, String reason, String bestPruning, double bestPruningCriterionAuroc,
                        double energyCriterionAuroc) {
    public Pruning {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Test-set figures of the chosen detector at its threshold; metrics null for the ID test set or an empty set. */
  public record TestFigures(String dataset, int count, double flaggedShare, Interval flaggedInterval,
                            OodMetrics metrics) {}

  /** The recommendation of a selection outcome, with the chosen detector's test figures ({@link #testFigures}). */
  static Recommendation of(DetectorSelection.Outcome chosen, EvaluateJob.Decision decision,
                           List<TestFigures> figures) {
    Selection sel = chosen.selection();
    FalseAlarmEstimate far = chosen.threshold();
    ThresholdFigures t = new ThresholdFigures(decision.keep(), far.threshold(), chosen.calibrationScores().length,
        far.estimate(), far.interval(), far.resamples());
    List<Ranked> ranking = new ArrayList<>();
    for (Candidate c : sel.ranking()) {
      double[] aurocs = c.aurocs();
      double[] fpr95s = c.fpr95s();
      List<ProxyFigures> per = new ArrayList<>();
      for (int p = 0; p < sel.proxies().size(); p++) {
        per.add(new ProxyFigures(sel.proxies().get(p), aurocs[p], fpr95s[p]));
      }
      ranking.add(new Ranked(c.label(), sel.criterionOf(c), per));
    }
    List<Audit> audit = new ArrayList<>();
    for (LeaveOneOut l : sel.audit()) {
      audit.add(new Audit(l.leftOut(), l.chosenWithout().label(), l.changed(), l.leftOutAurocOfChosenWithout()));
    }
    PruningVerdict v = sel.verdict();
    Pruning pruning = new Pruning(v.helps(), pruningReason(sel),
        v.bestPruning() == null ? null : v.bestPruning().label(), v.bestPruningCriterion(), v.baselineCriterion());
    return new Recommendation(chosen.chosen().method().key(), chosen.chosen().label(), chosen.chosen().parameters(),
        sel.criterion(), sel.criterionOf(sel.chosen()), sel.rule(), sel.proxies(), sel.weights(), whyChosen(chosen), t,
        ranking,
        audit, sel.stable(), pruning, figures, averageAuroc(figures));
  }

  /**
   * metrics.json's "recommendation": keys and their order are part of the file's format, which users
   * read; {@code src/test/resources/recommendation/} holds renderings from before this was typed.
   */
  public Map<String, Object> json() {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("method", method);
    r.put("label", label);
    r.put("parameters", parameters);
    r.put("criterion", criterionKey());
    r.put("criterion_auroc", criterionAuroc);
    r.put("choice_rule", rule.key());
    r.put("proxies", proxies);
    r.put("proxy_weights", weightsJson());
    r.put("why", why);
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("keep_id_share", threshold.keepIdShare());
    t.put("threshold", threshold.threshold());
    t.put("rule", RULE);
    t.put("calibration_id_count", threshold.calibrationIdCount());
    t.put("expected_false_alarm_rate", threshold.expectedFalseAlarmRate());
    t.put("false_alarm_interval_95", bounds(threshold.falseAlarmInterval95()));
    t.put("bootstrap_resamples", threshold.bootstrapResamples());
    r.put("threshold", t);
    List<Map<String, Object>> table = new ArrayList<>();
    for (Ranked c : ranking) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("detector", c.detector());
      row.put("criterion_auroc", c.criterionAuroc());
      Map<String, Object> per = new LinkedHashMap<>();
      for (ProxyFigures p : c.proxies()) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("auroc", p.auroc());
        f.put("fpr95", p.fpr95());
        per.put(p.proxy(), f);
      }
      row.put("proxies", per);
      table.add(row);
    }
    r.put("ranking", table);
    List<Map<String, Object>> audit = new ArrayList<>();
    for (Audit l : leaveOneOut) {
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("left_out", l.leftOut());
      a.put("chosen_without", l.chosenWithout());
      a.put("changed", l.changed());
      a.put("left_out_auroc_of_chosen_without", l.leftOutAurocOfChosenWithout());
      audit.add(a);
    }
    r.put("leave_one_out", audit);
    r.put("stable", stable);
    r.put("pruning", pruningJson());
    Map<String, Object> tests = new LinkedHashMap<>();
    for (TestFigures f : test) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("count", f.count());
      x.put("flagged_share", f.flaggedShare());
      x.put("flagged_interval_95", bounds(f.flaggedInterval()));
      if (f.metrics() != null) {
        x.put("auroc", f.metrics().auroc());
        x.put("fpr95", f.metrics().fpr95());
        x.put("fpr95_openood", f.metrics().fpr95OpenOod());
      }
      tests.put(f.dataset(), x);
    }
    r.put("test", tests);
    r.put("test_average_auroc", testAverageAuroc);
    return r;
  }

  /**
   * What the detector bundle records of the choice (detector.json's "selection"): the recommendation's
   * criterion, criterion_auroc, proxies, why, stable and pruning, rendered as in {@link #json()}.
   */
  public Map<String, Object> bundleSummary() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("criterion", criterionKey());
    s.put("criterion_auroc", criterionAuroc);
    s.put("choice_rule", rule.key());
    s.put("proxies", proxies);
    s.put("proxy_weights", weightsJson());
    s.put("why", why);
    s.put("stable", stable);
    s.put("pruning", pruningJson());
    return s;
  }

  private Map<String, Object> weightsJson() {
    Map<String, Object> w = new LinkedHashMap<>();
    for (int i = 0; i < proxies.size(); i++) {
      w.put(proxies.get(i), proxyWeights.get(i));
    }
    return w;
  }

  private String criterionKey() {
    return criterion.name().toLowerCase(Locale.ROOT);
  }

  private Map<String, Object> pruningJson() {
    Map<String, Object> pr = new LinkedHashMap<>();
    pr.put("helps", pruning.helps());
    pr.put("reason", pruning.reason());
    pr.put("best_pruning", pruning.bestPruning());
    pr.put("best_pruning_criterion_auroc", pruning.bestPruningCriterionAuroc());
    pr.put("energy_criterion_auroc", pruning.energyCriterionAuroc());
    return pr;
  }

  private static List<Double> bounds(Interval i) {
    return List.of(i.lower(), i.upper());
  }

  static List<TestFigures> testFigures(DetectorSelection.Outcome chosen, EvaluateJob.Roles roles, List<Row> rows) {
    Map<String, List<Double>> byDataset = new LinkedHashMap<>();
    for (Row r : rows) {
      byDataset.computeIfAbsent(r.getAs("dataset"), k -> new ArrayList<>()).add(r.getAs(EvaluateJob.DETECTOR));
    }
    double tau = chosen.threshold().threshold();
    double[] id = toArray(byDataset.getOrDefault(roles.idTest(), List.of()));
    List<TestFigures> out = new ArrayList<>();
    List<String> sets = new ArrayList<>();
    sets.add(roles.idTest());
    sets.addAll(roles.oods());
    for (String ds : sets) {
      double[] s = toArray(byDataset.getOrDefault(ds, List.of()));
      io.opnp.decision.DecisionRule.Share share = io.opnp.decision.DecisionRule.Share.of(s, tau);
      OodMetrics m = ds.equals(roles.idTest()) || s.length == 0 ? null : OodMetrics.of(id, s);
      out.add(new TestFigures(ds, s.length, share.rate(), share.interval(), m));
    }
    return out;
  }

  /** The mean AUROC of the detector over the OOD test sets. */
  static double averageAuroc(List<TestFigures> figures) {
    return figures.stream().filter(f -> f.metrics() != null).mapToDouble(f -> f.metrics().auroc()).average()
        .orElse(Double.NaN);
  }

  static String whyChosen(DetectorSelection.Outcome chosen) {
    String coverage = chosen.eligibility() == null ? "" : chosen.eligibility().reason();
    String defaults = chosen.selection().rule() == io.opnp.decision.ChoiceRule.FUSION
        ? chosen.fusion().defaultsReason() : "";
    return java.util.stream.Stream.of(whyRanked(chosen), defaults, coverage).filter(s -> !s.isEmpty())
        .collect(java.util.stream.Collectors.joining("; "));
  }

  private static String whyRanked(DetectorSelection.Outcome chosen) {
    Selection sel = chosen.selection();
    String crit = (sel.criterion() == io.opnp.decision.Criterion.MEAN ? "mean" : "worst-case") + weighting(sel);
    String stability = sel.stable() ? "leaving any one proxy out would not change the choice"
        : "leaving some proxy out would change the choice (see the audit)";
    if (sel.rule() == io.opnp.decision.ChoiceRule.FUSION) {
      Candidate leader = sel.leader();
      List<String> sets = chosen.fusion().memberSets();
      String on = sets.equals(sel.proxies()) ? String.format(Locale.ROOT, "best on their worst proxy among %d "
          + "validation OOD proxies (%s)", sel.proxies().size(), String.join(", ", sel.proxies()))
          : String.format(Locale.ROOT, "best on their worst OOD validation set of your own (%s; the %d proxies "
          + "count in the ranking only)", String.join(", ", sets), sel.proxies().size() - sets.size());
      return String.format(Locale.ROOT, "the harmonic mean of the conformal p-values of the leading configurations "
              + "of the %d method families %s, %s, each at its method's "
              + "defaults unless the validation data tells the leading setting apart from them: the proxies are a "
              + "guess at the OOD data to come, and on real models they favour one family more than real OOD data "
              + "does, so the recommendation hedges across families (--choose best takes the first-ranked "
              + "configuration alone); "
              + "the fusion's %s AUROC over the proxies %.2f %%, the first-ranked %s %.2f %% (%s); %s",
          chosen.chosen().members().size(), on,
          String.join(", ", chosen.chosen().members().stream().map(m -> m.label() + " (" + m.method().family()
              .name().toLowerCase(Locale.ROOT) + ")").toList()), crit, 100 * sel.criterionOf(sel.chosen()),
          leader.label(), 100 * sel.criterionOf(leader), sel.stable()
              ? "leaving any one proxy out would not change the first-ranked configuration"
              : "leaving some proxy out would change the first-ranked configuration (see the audit)",
          pruningReason(sel));
    }
    return String.format(Locale.ROOT, "best %s AUROC over %d validation OOD proxies (%s) among %d configurations: "
            + "%.2f %%; %s; %s", crit, sel.proxies().size(), String.join(", ", sel.proxies()), sel.ranking().size(),
        100 * sel.criterionOf(sel.chosen()), stability, pruningReason(sel));
  }

  static String markdown(DetectorSelection.Outcome chosen, EvaluateJob.Decision decision, EvaluateJob.Roles roles,
                         List<TestFigures> figures) {
    Selection sel = chosen.selection();
    StringBuilder sb = new StringBuilder("# Recommended detector\n\n");
    var far = chosen.threshold();
    sb.append(String.format(Locale.ROOT, "**%s** — %s.%n%n", chosen.chosen().label(), whyChosen(chosen)));
    sb.append(String.format(Locale.ROOT, "Threshold **%.6g**: an input scoring below it is flagged out-of-distribution. "
            + "It keeps %.1f %% of the %d held-out ID calibration images (half of %s by id, never used to choose); "
            + "expected false-alarm rate %.2f %% (95 %% bootstrap interval %.2f–%.2f %%, %d resamples). The saved "
            + "detector is in `detector/` (`opnp detect --detector DIR …`).%n%n", far.threshold(),
        100 * decision.keep(), chosen.calibrationScores().length, roles.valId(), 100 * far.estimate(),
        100 * far.interval().lower(), 100 * far.interval().upper(), far.resamples()));
    sb.append("On the test sets (not used to choose):\n\n| set | images | flagged OOD (95 % interval) | AUROC | FPR95 |\n"
        + "|---|---:|---:|---:|---:|\n");
    for (TestFigures f : figures) {
      sb.append(String.format(Locale.ROOT, "| %s | %d | %.2f %% (%.2f–%.2f) | %s | %s |%n", f.dataset(), f.count(),
          100 * f.flaggedShare(), 100 * f.flaggedInterval().lower(), 100 * f.flaggedInterval().upper(),
          f.metrics() == null ? "—" : String.format(Locale.ROOT, "%.2f", 100 * f.metrics().auroc()),
          f.metrics() == null ? "—" : String.format(Locale.ROOT, "%.2f", 100 * f.metrics().fpr95())));
    }
    sb.append(String.format(Locale.ROOT, "%nAverage test AUROC %.2f %%.%n%n", 100 * averageAuroc(figures)));
    sb.append("## How it was chosen (validation only)\n\n![validation AUROC per proxy](plots/").append(Plots.SELECTION)
        .append(")\n\n").append(sel.markdownTable()).append('\n');
    sb.append("Leave-one-proxy-out audit (the choice redone without each proxy):\n\n"
        + "| left out | chosen without it | changed | its AUROC on the left-out proxy |\n|---|---|---|---:|\n");
    for (io.opnp.decision.LeaveOneOut l : sel.audit()) {
      sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f |%n", l.leftOut(), l.chosenWithout().label(),
          l.changed() ? "**yes**" : "no", 100 * l.leftOutAurocOfChosenWithout()));
    }
    sb.append('\n').append("Pruning: ").append(pruningReason(sel)).append(".\n\n");
    if (chosen.spread() != null) {
      sb.append(chosen.spread().markdown()).append('\n');
    }
    return sb.toString();
  }

  /** How the proxies were weighted, when not alike: " (weighted: …)". */
  private static String weighting(Selection sel) {
    double[] w = sel.weightArray();
    if (java.util.Arrays.stream(w).allMatch(x -> x == w[0]) || sel.criterion() != io.opnp.decision.Criterion.MEAN) {
      return "";
    }
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < w.length; i++) {
      parts.add(String.format(Locale.ROOT, "%s %s", sel.proxies().get(i), w[i] == Math.rint(w[i])
          ? String.valueOf((long) w[i]) : String.valueOf(w[i])));
    }
    return " (weighted: " + EvaluateJob.Roles.WEIGHTING + "; " + String.join(", ", parts) + ")";
  }

  /** The verdict on pruning, and why a pruning detector that beats energy may still not be the one recommended. */
  static String pruningReason(Selection sel) {
    if (sel.verdict().bestPruning() == null) {
      return "pruning does not help this model: no OPNP plan of the sweep beats the unpruned head on the validation "
          + "proxies";
    }
    String r = sel.verdict().reason();
    if (sel.rule() == io.opnp.decision.ChoiceRule.FUSION) {
      return r;  // whether the fusion holds a pruning member, its label says
    }
    if (sel.verdict().helps() && !io.opnp.methods.Method.parse(sel.chosen().method()).usesPlan()) {
      r += String.format(Locale.ROOT, "; but %s is better still (%.2f %%), so it is recommended instead",
          sel.chosen().label(), 100 * sel.criterionOf(sel.chosen()));
    }
    return r;
  }

  private static double[] toArray(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
