package io.opnp.eval;

import io.opnp.methods.OodMethods;
import io.opnp.report.MethodResult;
import io.opnp.report.OodReport;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The evaluation report as Markdown: OpenOOD-style tables, calibration, the chosen plan, every plot. */
final class Reports {
  private Reports() {}

  static String markdown(OodReport r, EvaluateJob.Roles roles, List<PlanSweep.Point> sweep, PlanSweep.Point chosen) {
    StringBuilder sb = new StringBuilder("# All methods\n\n");
    @SuppressWarnings("unchecked")
    Map<String, Object> cal = (Map<String, Object>) r.extra().get("calibration");
    sb.append(String.format(Locale.ROOT, "ID test set **%s** (%d images): accuracy %.2f %% with the original head, "
        + "%.2f %% with the OPNP-pruned head; ECE (15 bins) %.2f %% → %.2f %%.%n%n", r.idDataset(), r.idCount(),
        100 * r.idAccuracy(), 100 * r.idAccuracyOpnp(), 100 * (Double) cal.get("ece_original"),
        100 * (Double) cal.get("ece_opnp")));
    sb.append(String.format(Locale.ROOT, "OPNP plan chosen on validation data (ID **%s** against the proxies %s; never "
        + "the test sets) from %d plans by the criterion over the proxies' AUROCs: %s — %d/%d weights and %d/%d neurons "
        + "removed; criterion %.2f %%, mean AUROC %.2f %%, mean FPR95 %.2f %%.%n%n", roles.valId(),
        String.join(", ", roles.proxies()), sweep.size(), r.plan(), r.prunedWeights(), r.totalWeights(),
        r.prunedNeurons(), r.totalNeurons(), 100 * chosen.criterion(), 100 * chosen.metrics().auroc(),
        100 * chosen.metrics().fpr95()));
    @SuppressWarnings("unchecked")
    Map<String, Object> val = (Map<String, Object>) r.extra().get("validation");
    if (val != null) {
      sb.append(String.format(Locale.ROOT, "Validation rows on the driver, at most `--val-limit` %s per side (the first "
              + "by id): %s ID for the choice, %s ID for the threshold, proxies %s.%n%n", val.get("val_limit"),
          val.get("id_count"), val.get("calibration_id_count"), val.get("proxies")));
    }
    sb.append("Top validation plans:\n\n| rank | plan | criterion | mean AUROC | mean FPR95 |\n|---:|---|---:|---:|---:|\n");
    List<PlanSweep.Point> top = sweep.stream().sorted(PlanSweep.ORDER).limit(5).toList();
    for (int i = 0; i < top.size(); i++) {
      sb.append(String.format(Locale.ROOT, "| %d | %s | %.2f | %.2f | %.2f |%n", i + 1, top.get(i).plan(),
          100 * top.get(i).criterion(), 100 * top.get(i).metrics().auroc(), 100 * top.get(i).metrics().fpr95()));
    }
    sb.append("\n## AUROC ↑ / FPR95 ↓ (%) per OOD set, OpenOOD-style\n\n| method |");
    for (String o : roles.oods()) {
      sb.append(' ').append(o).append(" |");
    }
    sb.append(" **average** |\n|---|");
    sb.append("---:|".repeat(roles.oods().size() + 1)).append('\n');
    for (String m : OodMethods.NAMES) {
      sb.append("| ").append(m).append(" |");
      double auroc = 0;
      double fpr = 0;
      for (String o : roles.oods()) {
        MethodResult x = find(r, m, o);
        auroc += x.metrics().auroc();
        fpr += x.metrics().fpr95();
        sb.append(String.format(Locale.ROOT, " %.2f / %.2f |", 100 * x.metrics().auroc(), 100 * x.metrics().fpr95()));
      }
      int n = roles.oods().size();
      sb.append(String.format(Locale.ROOT, " **%.2f / %.2f** |%n", 100 * auroc / n, 100 * fpr / n));
    }
    String best = OodMethods.NAMES.stream().max(Comparator.comparingDouble(m -> averageAuroc(r, m, roles))).orElseThrow();
    sb.append(String.format(Locale.ROOT, "%nBest average AUROC: **%s**.%n%n", best));
    sb.append("## Figures\n\n");
    sb.append("- Sensitivity distributions (paper Fig. 1), with the chosen cut points: [weights](plots/")
        .append(Plots.WEIGHTS).append("), [neurons](plots/").append(Plots.NEURONS).append(")\n");
    sb.append("- Effect of each percentage on the validation split (Fig. 3): ");
    for (String a : List.of("rho_w_max", "rho_w_min", "rho_o_max", "rho_o_min")) {
      sb.append("[").append(a).append("](plots/").append(Plots.sweep(a)).append(") ");
    }
    sb.append("\n- Reliability diagrams before and after pruning (Fig. 4): [reliability](plots/")
        .append(Plots.RELIABILITY).append(")\n");
    sb.append("- ID vs OOD score histograms (Fig. 5): [energy](plots/").append(Plots.histogram("energy"))
        .append("), [OPNP](plots/").append(Plots.histogram("opnp")).append(")\n");
    sb.append("- ROC curves of Energy and OPNP: [roc](plots/").append(Plots.ROC).append(")\n\n");
    sb.append("![energy scores](plots/").append(Plots.histogram("energy")).append(")\n![OPNP scores](plots/")
        .append(Plots.histogram("opnp")).append(")\n\n## All metrics\n\n");
    sb.append(r.markdown());
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> stages = (Map<String, Map<String, Object>>) r.extra().get("stage_seconds");
    if (stages != null) {
      sb.append("\n## Stage times\n\n| stage | where | seconds | items/s |\n|---|---|---:|---:|\n");
      stages.forEach((name, x) -> sb.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %s |%n", name, x.get("where"),
          ((Number) x.get("seconds")).doubleValue(), x.get("items_per_second") == null ? ""
              : String.format(Locale.ROOT, "%.1f", ((Number) x.get("items_per_second")).doubleValue()))));
    }
    return sb.toString();
  }

  private static double averageAuroc(OodReport r, String m, EvaluateJob.Roles roles) {
    return roles.oods().stream().mapToDouble(o -> find(r, m, o).metrics().auroc()).average().orElse(0);
  }

  private static MethodResult find(OodReport r, String method, String ood) {
    return r.results().stream().filter(x -> x.method().equals(method) && x.oodDataset().equals(ood)).findFirst()
        .orElseThrow();
  }

  /** The KNN bank as evaluate used it: its rows, the training rows, whether sampled, and each k's scaled value. */
  static Map<String, Object> knnBankJson(io.opnp.methods.KnnBank bank) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("rows", bank.size());
    m.put("training_rows", bank.trainingRows());
    m.put("sampled", bank.size() < bank.trainingRows());
    m.put("fraction", bank.fraction());
    Map<String, Object> ks = new java.util.LinkedHashMap<>();
    for (double kk : io.opnp.methods.Param.KNN_K.grid()) {
      int k = (int) kk;
      ks.put(Integer.toString(k), bank.scaledK(k));
    }
    m.put("k_used_for_k", ks);
    return m;
  }

  static String knnBankMarkdown(io.opnp.methods.KnnBank bank) {
    if (bank.size() >= bank.trainingRows()) {
      return String.format(Locale.ROOT, "%nKNN bank: all %,d training rows.%n", bank.size());
    }
    StringBuilder ks = new StringBuilder();
    for (double kk : io.opnp.methods.Param.KNN_K.grid()) {
      int k = (int) kk;
      ks.append(ks.length() == 0 ? "" : ", ").append(k).append(" → ").append(bank.scaledK(k));
    }
    return String.format(Locale.ROOT, "%nKNN bank: a seeded uniform sample of %,d of the %,d training rows (α = %.4f); "
        + "k scaled by α as the KNN paper does (%s).%n", bank.size(), bank.trainingRows(), bank.fraction(), ks);
  }
}
