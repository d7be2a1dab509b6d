package io.opnp.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opnp.math.PruningPercentages;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The metrics of a scoring run, as {@code metrics.json} and a Markdown table. Immutable. */
public record OodReport(String idDataset, int idCount, double idAccuracy, double idAccuracyOpnp,
                        PruningPercentages plan, int prunedWeights, int totalWeights, int prunedNeurons,
                        int totalNeurons, List<MethodResult> results, Map<String, Long> skipped,
                        Map<String, Object> extra) {

  public OodReport {
    results = List.copyOf(results);
    skipped = Map.copyOf(skipped);
    extra = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(extra));
  }

  /** Without extra JSON fields. */
  public OodReport(String idDataset, int idCount, double idAccuracy, double idAccuracyOpnp, PruningPercentages plan,
                   int prunedWeights, int totalWeights, int prunedNeurons, int totalNeurons, List<MethodResult> results,
                   Map<String, Long> skipped) {
    this(idDataset, idCount, idAccuracy, idAccuracyOpnp, plan, prunedWeights, totalWeights, prunedNeurons,
        totalNeurons, results, skipped, Map.of());
  }

  /** This report with one more top-level JSON field. */
  public OodReport withExtra(String key, Object value) {
    Map<String, Object> more = new java.util.LinkedHashMap<>(extra);
    more.put(key, value);
    return new OodReport(idDataset, idCount, idAccuracy, idAccuracyOpnp, plan, prunedWeights, totalWeights,
        prunedNeurons, totalNeurons, results, skipped, more);
  }

  public String json() {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("id_dataset", idDataset);
    root.put("id_count", idCount);
    root.put("id_accuracy", idAccuracy);
    root.put("id_accuracy_opnp", idAccuracyOpnp);
    ObjectNode p = root.putObject("plan");
    p.put("rho_w_max", plan.rhoWMax());
    p.put("rho_w_min", plan.rhoWMin());
    p.put("rho_o_max", plan.rhoOMax());
    p.put("rho_o_min", plan.rhoOMin());
    p.put("pruned_weights", prunedWeights);
    p.put("total_weights", totalWeights);
    p.put("pruned_neurons", prunedNeurons);
    p.put("total_neurons", totalNeurons);
    ObjectNode sk = root.putObject("skipped_images");
    new java.util.TreeMap<>(skipped).forEach(sk::put);
    ArrayNode rs = root.putArray("results");
    for (MethodResult r : results) {
      ObjectNode o = rs.addObject();
      o.put("method", r.method());
      o.put("ood_dataset", r.oodDataset());
      o.put("ood_count", r.oodCount());
      o.put("fpr95", r.metrics().fpr95());
      o.put("fpr95_openood", r.metrics().fpr95OpenOod());
      o.put("auroc", r.metrics().auroc());
      o.put("aupr_in", r.metrics().auprIn());
      o.put("aupr_out", r.metrics().auprOut());
    }
    extra.forEach((k, v) -> root.set(k, mapper.valueToTree(v)));
    try {
      return mapper.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Per (method, OOD set) rows and a per-method average, in percent as papers print them. */
  public String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "ID: %s (%d images), accuracy %.2f %% (OPNP-pruned head: %.2f %%; the plan's "
        + "accuracy cost: %+.2f points)%n", idDataset, idCount, 100 * idAccuracy, 100 * idAccuracyOpnp,
        100 * (idAccuracyOpnp - idAccuracy)));
    sb.append(String.format(Locale.ROOT, "Plan: %s; removed %d/%d weights, %d/%d neurons%n", plan,
        prunedWeights, totalWeights, prunedNeurons, totalNeurons));
    if (!skipped.isEmpty()) {
      sb.append("Skipped unreadable images (--on-bad-image=skip): ").append(new java.util.TreeMap<>(skipped)).append('\n');
    }
    sb.append("FPR95: the share of OOD images at or above the threshold that keeps 95 % of ID images (ID positive, "
        + "as the OPNP paper reports it). FPR95 OpenOOD: the share of ID images flagged when 95 % of OOD images are "
        + "caught (OOD positive, OpenOOD v1.5's).\n");
    sb.append('\n');
    sb.append("| method | OOD set | FPR95 ↓ | AUROC ↑ | AUPR-In ↑ | AUPR-Out ↑ | FPR95 OpenOOD ↓ |\n");
    sb.append("|---|---|---:|---:|---:|---:|---:|\n");
    Set<String> methods = new LinkedHashSet<>();
    results.forEach(r -> methods.add(r.method()));
    for (String m : methods) {
      double[] sum = new double[5];
      int n = 0;
      for (MethodResult r : results) {
        if (r.method().equals(m)) {
          row(sb, m, r.oodDataset(), r.metrics().fpr95(), r.metrics().auroc(), r.metrics().auprIn(), r.metrics().auprOut(),
              r.metrics().fpr95OpenOod());
          sum[4] += r.metrics().fpr95OpenOod();
          sum[0] += r.metrics().fpr95();
          sum[1] += r.metrics().auroc();
          sum[2] += r.metrics().auprIn();
          sum[3] += r.metrics().auprOut();
          n++;
        }
      }
      row(sb, m, "**average**", sum[0] / n, sum[1] / n, sum[2] / n, sum[3] / n, sum[4] / n);
    }
    return sb.toString();
  }

  private static void row(StringBuilder sb, String method, String ood, double fpr, double auroc, double in, double out,
                          double fprOpenOod) {
    sb.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", method, ood,
        100 * fpr, 100 * auroc, 100 * in, 100 * out, 100 * fprOpenOod));
  }
}
