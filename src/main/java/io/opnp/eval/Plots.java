package io.opnp.eval;

import io.opnp.calibration.ReliabilityDiagram;
import io.opnp.math.PruningPercentages;
import io.opnp.math.Sensitivity;
import io.opnp.methods.OodMethods;
import io.opnp.plots.RocPlot;
import io.opnp.plots.ScoreHistogramPlot;
import io.opnp.plots.SensitivityPlot;
import io.opnp.plots.SweepPlot;
import io.opnp.plots.ReliabilityPlot;
import io.opnp.report.OodReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/** The report's figures, as in the paper: Fig. 1 (sensitivities), 3 (each percentage), 4 (reliability), 5 (scores), ROC. */
final class Plots {
  static final String WEIGHTS = "sensitivity-weights.png";
  static final String NEURONS = "sensitivity-neurons.png";
  static final String RELIABILITY = "reliability.png";
  static final String ROC = "roc.png";

  private Plots() {}

  static String histogram(String method) {
    return "scores-" + method + ".png";
  }

  static final String SELECTION = "selection.png";

  static String sweep(String percentage) {
    return "sweep-" + percentage + ".png";
  }

  /** Renders into a local temporary folder, then copies into {@code target} (any Hadoop file system). */
  static void writeAll(String target, Configuration hadoopConf, OodReport report, EvaluateJob.Roles roles, Map<String, List<double[]>> scores,
                       ReliabilityDiagram before, ReliabilityDiagram after, Sensitivity s, PlanSweep.Point chosen,
                       List<PlanSweep.Point> sweep, io.opnp.decision.Selection selection) {
    Path dir;
    try {
      dir = Files.createTempDirectory("opnp-plots");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PruningPercentages plan = chosen.plan();
    double[] mw = s.weight();
    double[] mo = s.neuron();
    SensitivityPlot.writeWeights(dir.resolve(WEIGHTS), mw, true, cuts(mw, plan.rhoWMax(), plan.rhoWMin()));
    SensitivityPlot.writeNeurons(dir.resolve(NEURONS), mo, false, cuts(mo, plan.rhoOMax(), plan.rhoOMin()));
    ReliabilityPlot.write(dir.resolve(RELIABILITY), before, after);
    List<RocPlot.Series> roc = new ArrayList<>();
    for (String method : List.of(io.opnp.methods.Method.ENERGY.key(), io.opnp.methods.Method.OPNP.key())) {
      int i = OodMethods.NAMES.indexOf(method);
      double[] id = column(scores.get(roles.idTest()), i);
      Map<String, double[]> ood = new LinkedHashMap<>();
      for (String o : roles.oods()) {
        ood.put(o, column(scores.get(o), i));
        roc.add(RocPlot.Series.of(method, o, id, ood.get(o)));
      }
      ScoreHistogramPlot.write(dir.resolve(histogram(method)), method, roles.idTest(), id, ood);
    }
    RocPlot.write(dir.resolve(ROC), roc);
    // The leading configurations, plus plain energy and the best pruning one wherever they rank.
    List<io.opnp.decision.Candidate> shown = new ArrayList<>(selection.ranking().subList(0,
        Math.min(10, selection.ranking().size())));
    for (io.opnp.decision.Candidate c : new io.opnp.decision.Candidate[] {selection.verdict().baseline(),
        selection.verdict().bestPruning()}) {
      if (c != null && !shown.contains(c)) {
        shown.add(c);
      }
    }
    io.opnp.plots.SelectionPlot.write(dir.resolve(SELECTION), shown.stream()
        .map(c -> (selection.ranking().indexOf(c) + 1) + ". " + c.label()).toList(), selection.proxies(), shown.stream().map(io.opnp.decision.Candidate::aurocs)
        .toArray(double[][]::new), selection.criterion().name().toLowerCase(java.util.Locale.ROOT)
        + " AUROC over the proxies chose " + selection.chosen().label());
    // Fig. 3: each percentage varied over its grid values, the others held at the chosen plan (validation split).
    Map<String, ToDoubleFunction<PruningPercentages>> axes = new LinkedHashMap<>();
    axes.put("rho_w_max", PruningPercentages::rhoWMax);
    axes.put("rho_w_min", PruningPercentages::rhoWMin);
    axes.put("rho_o_max", PruningPercentages::rhoOMax);
    axes.put("rho_o_min", PruningPercentages::rhoOMin);
    for (var axis : axes.entrySet()) {
      List<PlanSweep.Point> line = new ArrayList<>();
      for (PlanSweep.Point p : sweep) {
        if (sameExcept(p.plan(), plan, axis.getKey())) {
          line.add(p);
        }
      }
      line.sort(Comparator.comparingDouble(p -> axis.getValue().applyAsDouble(p.plan())));
      if (line.size() < 2) {
        continue;
      }
      double[] x = line.stream().mapToDouble(p -> axis.getValue().applyAsDouble(p.plan())).toArray();
      Map<String, double[]> metrics = new LinkedHashMap<>();
      metrics.put("validation AUROC (%)", line.stream().mapToDouble(p -> 100 * p.metrics().auroc()).toArray());
      metrics.put("validation FPR95 (%)", line.stream().mapToDouble(p -> 100 * p.metrics().fpr95()).toArray());
      SweepPlot.write(dir.resolve(sweep(axis.getKey())), axis.getKey(), x, metrics);
    }
    try (var files = Files.list(dir)) {
      org.apache.hadoop.fs.Path dst = new org.apache.hadoop.fs.Path(target);
      FileSystem fs = dst.getFileSystem(hadoopConf);
      fs.mkdirs(dst);
      for (Path f : files.toList()) {
        // Through the file system's output stream, as every other output is written: Hadoop 3.4's s3a
        // uploads copyFromLocalFile through the AWS SDK v2 transfer manager, whose chunked checksums
        // S3-compatible stores (S3Proxy, older MinIO/Ceph) refuse.
        try (var out = fs.create(new org.apache.hadoop.fs.Path(dst, f.getFileName().toString()), true)) {
          Files.copy(f, out);
        }
        Files.delete(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy plots to " + target, e);
    }
  }

  /** The sensitivity values at the pruning cut points, for markers. */
  private static double[] cuts(double[] values, double top, double bottom) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    int kt = PruningPercentages.count(n, top);
    int kb = PruningPercentages.count(n, bottom);
    List<Double> out = new ArrayList<>();
    if (kt > 0) {
      out.add(sorted[n - kt]);
    }
    if (kb > 0) {
      out.add(sorted[kb - 1]);
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static boolean sameExcept(PruningPercentages a, PruningPercentages b, String axis) {
    return (axis.equals("rho_w_max") || a.rhoWMax() == b.rhoWMax())
        && (axis.equals("rho_w_min") || a.rhoWMin() == b.rhoWMin())
        && (axis.equals("rho_o_max") || a.rhoOMax() == b.rhoOMax())
        && (axis.equals("rho_o_min") || a.rhoOMin() == b.rhoOMin());
  }

  private static double[] column(List<double[]> rows, int i) {
    double[] out = new double[rows.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = rows.get(k)[i];
    }
    return out;
  }
}
