package io.opnp.eval;

import io.opnp.BadInputException;
import io.opnp.calibration.Calibration;
import io.opnp.calibration.ReliabilityDiagram;
import io.opnp.math.OodMetrics;
import io.opnp.math.PruningPercentages;
import io.opnp.math.PruningPlan;
import io.opnp.math.Sensitivity;
import io.opnp.methods.OodMethods;
import io.opnp.report.MethodResult;
import io.opnp.report.OodReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * Stage 4 of evaluate: from the test scores, the metrics of every method on every OOD set, ID accuracy
 * and calibration of both heads, how the plan was chosen, and the plots.
 */
final class EvaluationReport {
  private EvaluationReport() {}

  static OodReport build(List<Row> rows, EvaluateJob.Roles roles, DetectorSelection.Outcome chosen, PruningPlan plan,
                         Sensitivity sens, String staging, org.apache.hadoop.conf.Configuration hadoopConf) {
    List<PlanSweep.Point> sweep = chosen.sweep();
    int methodsCount = OodMethods.NAMES.size() + 1;  // and the chosen detector
    Map<String, List<double[]>> scores = new LinkedHashMap<>();
    List<Row> id = new ArrayList<>();
    for (Row r : rows) {
      String ds = r.getAs("dataset");
      if (ds.equals(roles.idTest())) {
        id.add(r);
      }
      double[] s = new double[methodsCount];
      for (int i = 0; i < methodsCount; i++) {
        s[i] = r.getAs(i < OodMethods.NAMES.size() ? OodMethods.NAMES.get(i) : EvaluateJob.DETECTOR);
      }
      scores.computeIfAbsent(ds, k -> new ArrayList<>()).add(s);
    }
    if (id.isEmpty()) {
      throw new BadInputException("the feature cache has no images of the ID test set " + roles.idTest());
    }
    int n = id.size();
    int[] labels = new int[n];
    int[] pred = new int[n];
    int[] predOpnp = new int[n];
    double[] conf = new double[n];
    double[] confOpnp = new double[n];
    long correct = 0;
    long correctOpnp = 0;
    for (int k = 0; k < n; k++) {
      Row r = id.get(k);
      labels[k] = (int) (long) r.<Long>getAs("label");
      pred[k] = r.getAs("pred");
      predOpnp[k] = r.getAs("opnp_pred");
      conf[k] = r.getAs("conf");
      confOpnp[k] = r.getAs("opnp_conf");
      correct += pred[k] == labels[k] ? 1 : 0;
      correctOpnp += predOpnp[k] == labels[k] ? 1 : 0;
    }
    ReliabilityDiagram before = Calibration.reliability(conf, pred, labels);
    ReliabilityDiagram after = Calibration.reliability(confOpnp, predOpnp, labels);
    List<MethodResult> results = new ArrayList<>();
    for (int i = 0; i < OodMethods.NAMES.size(); i++) {
      double[] idScores = column(scores.get(roles.idTest()), i);
      for (String ood : roles.oods()) {
        List<double[]> o = scores.get(ood);
        if (o == null || o.isEmpty()) {
          throw new BadInputException("the feature cache has no images of the OOD set " + ood);
        }
        results.add(new MethodResult(OodMethods.NAMES.get(i), ood, o.size(), OodMetrics.of(idScores, column(o, i))));
      }
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("plan_source", "validation");
    Map<String, Object> sensitivity = new LinkedHashMap<>();
    sensitivity.put("count", sens.count());
    sensitivity.put("temperature", sens.temperature());
    sensitivity.put("model_name", sens.modelName());
    sensitivity.put("model_sha256", sens.modelSha256());
    extra.put("sensitivity", sensitivity);
    Map<String, Object> validation = new LinkedHashMap<>();
    validation.put("id_dataset", roles.valId());
    validation.put("proxies", chosen.proxyCounts());
    validation.put("id_count", chosen.selectionIdCount());
    validation.put("calibration_id_count", chosen.calibrationScores().length);
    validation.put("val_limit", roles.valLimit());
    validation.put("plans_evaluated", sweep.size());
    validation.put("sweep_mode", chosen.sweepMode());
    validation.put("sweep_seconds", chosen.sweepSeconds());
    validation.put("criterion", chosen.selection().criterion().name().toLowerCase(java.util.Locale.ROOT));
    validation.put("chosen_criterion", chosen.plan().criterion());
    validation.put("chosen_auroc", chosen.plan().metrics().auroc());
    validation.put("chosen_fpr95", chosen.plan().metrics().fpr95());
    sweep.stream().filter(p -> p.plan().equals(PruningPercentages.NONE)).findFirst().ifPresent(p -> {
      validation.put("unpruned_criterion", p.criterion());
      validation.put("unpruned_auroc", p.metrics().auroc());
      validation.put("unpruned_fpr95", p.metrics().fpr95());
    });
    if (chosen.bestOpnpReact() != null) {
      validation.put("opnp_react_percentile", chosen.bestOpnpReact().value(io.opnp.methods.Param.REACT_PERCENTILE));
    }
    extra.put("validation", validation);
    Map<String, Object> calibration = new LinkedHashMap<>();
    calibration.put("bins", Calibration.DEFAULT_BINS);
    calibration.put("ece_original", before.ece());
    calibration.put("ece_opnp", after.ece());
    extra.put("calibration", calibration);
    OodReport report = new OodReport(roles.idTest(), n, (double) correct / n, (double) correctOpnp / n,
        chosen.plan().plan(), plan.prunedWeights(), plan.classes() * plan.dim(), plan.prunedNeurons(), plan.dim(),
        results, Map.of(), extra);
    Plots.writeAll(staging + "/plots", hadoopConf, report, roles, scores, before, after, sens, chosen.plan(), sweep,
        chosen.selection());
    return report;
  }

  private static double[] column(List<double[]> rows, int i) {
    double[] out = new double[rows.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = rows.get(k)[i];
    }
    return out;
  }
}
