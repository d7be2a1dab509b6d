package io.opnp.eval;

import io.opnp.decision.BinomialInterval;
import io.opnp.decision.Candidate;
import io.opnp.decision.Interval;
import io.opnp.decision.Selection;
import io.opnp.math.OodMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * The recommended detector, first in metrics.json and report.md: what, why (the per-proxy table, the
 * leave-one-out audit, whether pruning helps), the threshold and the false-alarm rate to expect, and
 * how it did on the test sets, which played no part in choosing it.
 */
final class Recommendation {
  private Recommendation() {}

  /** Test-set figures of the chosen detector at its threshold. */
  record TestFigures(String dataset, int count, double flaggedShare, Interval flaggedInterval, OodMetrics metrics) {}

  static List<TestFigures> test(DetectorSelection.Outcome chosen, EvaluateJob.Roles roles, List<Row> rows) {
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
      long flagged = 0;
      for (double v : s) {
        flagged += v < tau ? 1 : 0;
      }
      OodMetrics m = ds.equals(roles.idTest()) || s.length == 0 ? null : OodMetrics.of(id, s);
      out.add(new TestFigures(ds, s.length, s.length == 0 ? 0 : (double) flagged / s.length,
          BinomialInterval.wilson(flagged, s.length, 0.95), m));
    }
    return out;
  }

  /** The mean AUROC of the detector over the OOD test sets. */
  static double averageAuroc(List<TestFigures> figures) {
    return figures.stream().filter(f -> f.metrics() != null).mapToDouble(f -> f.metrics().auroc()).average()
        .orElse(Double.NaN);
  }

  static Map<String, Object> json(DetectorSelection.Outcome chosen, EvaluateJob.Decision decision,
                                  List<TestFigures> figures) {
    Selection sel = chosen.selection();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("method", chosen.chosen().method().key());
    r.put("label", chosen.chosen().label());
    r.put("parameters", chosen.chosen().parameters());
    r.put("criterion", sel.criterion().name().toLowerCase(Locale.ROOT));
    r.put("criterion_auroc", sel.criterion().of(sel.chosen().aurocs()));
    r.put("proxies", sel.proxies());
    r.put("why", why(chosen));
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("keep_id_share", decision.keep());
    t.put("threshold", chosen.threshold().threshold());
    t.put("rule", "flag an input as out-of-distribution when its score is below the threshold");
    t.put("calibration_id_count", chosen.calibrationScores().length);
    t.put("expected_false_alarm_rate", chosen.threshold().estimate());
    t.put("false_alarm_interval_95", List.of(chosen.threshold().interval().lower(),
        chosen.threshold().interval().upper()));
    t.put("bootstrap_resamples", chosen.threshold().resamples());
    r.put("threshold", t);
    List<Map<String, Object>> table = new ArrayList<>();
    for (Candidate c : sel.ranking()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("detector", c.label());
      row.put("criterion_auroc", sel.criterion().of(c.aurocs()));
      Map<String, Object> per = new LinkedHashMap<>();
      for (int p = 0; p < sel.proxies().size(); p++) {
        per.put(sel.proxies().get(p), Map.of("auroc", c.aurocs()[p], "fpr95", c.fpr95s()[p]));
      }
      row.put("proxies", per);
      table.add(row);
    }
    r.put("ranking", table);
    List<Map<String, Object>> audit = new ArrayList<>();
    for (io.opnp.decision.LeaveOneOut l : sel.audit()) {
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("left_out", l.leftOut());
      a.put("chosen_without", l.chosenWithout().label());
      a.put("changed", l.changed());
      a.put("left_out_auroc_of_chosen_without", l.leftOutAurocOfChosenWithout());
      audit.add(a);
    }
    r.put("leave_one_out", audit);
    r.put("stable", sel.stable());
    Map<String, Object> pr = new LinkedHashMap<>();
    pr.put("helps", sel.verdict().helps());
    pr.put("reason", pruning(sel));
    pr.put("best_pruning", sel.verdict().bestPruning() == null ? null : sel.verdict().bestPruning().label());
    pr.put("best_pruning_criterion_auroc", sel.verdict().bestPruningCriterion());
    pr.put("energy_criterion_auroc", sel.verdict().baselineCriterion());
    r.put("pruning", pr);
    Map<String, Object> test = new LinkedHashMap<>();
    for (TestFigures f : figures) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("count", f.count());
      x.put("flagged_share", f.flaggedShare());
      x.put("flagged_interval_95", List.of(f.flaggedInterval().lower(), f.flaggedInterval().upper()));
      if (f.metrics() != null) {
        x.put("auroc", f.metrics().auroc());
        x.put("fpr95", f.metrics().fpr95());
        x.put("fpr95_openood", f.metrics().fpr95OpenOod());
      }
      test.put(f.dataset(), x);
    }
    r.put("test", test);
    r.put("test_average_auroc", averageAuroc(figures));
    return r;
  }

  static String why(DetectorSelection.Outcome chosen) {
    Selection sel = chosen.selection();
    String crit = sel.criterion() == io.opnp.decision.Criterion.MEAN ? "mean" : "worst-case";
    return String.format(Locale.ROOT, "best %s AUROC over %d validation OOD proxies (%s) among %d configurations: "
            + "%.2f %%; %s; %s", crit, sel.proxies().size(), String.join(", ", sel.proxies()), sel.ranking().size(),
        100 * sel.criterion().of(sel.chosen().aurocs()),
        sel.stable() ? "leaving any one proxy out would not change the choice"
            : "leaving some proxy out would change the choice (see the audit)",
        pruning(sel));
  }

  static String markdown(DetectorSelection.Outcome chosen, EvaluateJob.Decision decision, EvaluateJob.Roles roles,
                         List<TestFigures> figures) {
    Selection sel = chosen.selection();
    StringBuilder sb = new StringBuilder("# Recommended detector\n\n");
    var far = chosen.threshold();
    sb.append(String.format(Locale.ROOT, "**%s** — %s.%n%n", chosen.chosen().label(), why(chosen)));
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
    sb.append('\n').append("Pruning: ").append(pruning(sel)).append(".\n\n");
    return sb.toString();
  }

  /** The verdict on pruning, and why a pruning detector that beats energy may still not be the one recommended. */
  static String pruning(Selection sel) {
    if (sel.verdict().bestPruning() == null) {
      return "pruning does not help this model: no OPNP plan of the sweep beats the unpruned head on the validation "
          + "proxies";
    }
    String r = sel.verdict().reason();
    if (sel.verdict().helps() && !io.opnp.methods.Method.parse(sel.chosen().method()).usesPlan()) {
      r += String.format(Locale.ROOT, "; but %s is better still (%.2f %%), so it is recommended instead",
          sel.chosen().label(), 100 * sel.criterion().of(sel.chosen().aurocs()));
    }
    return r;
  }

  private static double[] toArray(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
