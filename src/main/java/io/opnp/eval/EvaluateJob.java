package io.opnp.eval;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;

import io.opnp.BadInputException;
import io.opnp.calibration.Calibration;
import io.opnp.calibration.ReliabilityDiagram;
import io.opnp.detect.DetectorBundle;
import io.opnp.io.Outputs;
import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import io.opnp.math.OodMetrics;
import io.opnp.math.PruningPercentages;
import io.opnp.math.PruningPlan;
import io.opnp.math.Sensitivity;
import io.opnp.methods.FeatureStats;
import io.opnp.methods.FeatureStatsAccumulator;
import io.opnp.methods.KnnBank;
import io.opnp.methods.MethodOptions;
import io.opnp.methods.OodMethod;
import io.opnp.methods.OodMethods;
import io.opnp.methods.VimSubspace;
import io.opnp.report.MethodResult;
import io.opnp.report.OodReport;
import io.opnp.spark.FeatureCacheJob;
import io.opnp.spark.FeatureRows;
import io.opnp.methods.DetectorSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every method on cached features, as four named stages: fit the baselines' statistics on the ID
 * training features ({@link TrainingFit}); choose the detector on validation data only
 * ({@link DetectorSelection}: OPNP's plan and every method's hyper-parameters against several OOD
 * proxies, the threshold on held-out ID images); score the ID test set and every OOD set with all
 * methods and the chosen detector in one pass; write metrics, calibration, plots, the report and the
 * detector bundle. The backbone never runs here.
 */
public final class EvaluateJob {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);
  private static final int BATCH = TrainingFit.BATCH;
  /** The score column of the recommended detector in scores-all. */
  public static final String DETECTOR = "detector";

  /**
   * Which cached datasets play which role, and the knobs of the fits.
   *
   * @param proxies the validation OOD proxies' dataset names (made from valId, or given)
   */
  public record Roles(String train, String valId, List<String> proxies, String idTest, List<String> oods,
                      int knnBankSize, int valLimit) {}

  /** What the choice of detector is to aim for. */
  public record Decision(double keep, io.opnp.decision.Criterion criterion, int bootstrapResamples, SweepMode sweep) {
    public static Decision defaults() {
      return new Decision(0.95, io.opnp.decision.Criterion.MEAN, io.opnp.decision.FalseAlarmBootstrap.DEFAULT_RESAMPLES,
          SweepMode.AUTO);
    }
  }

  /**
   * How OPNP's plans are searched: the whole grid, a coordinate search over its axes, or the grid
   * unless it would take more than {@link DetectorSelection#AUTO_GRID_SECONDS} on this driver.
   */
  public enum SweepMode { AUTO, GRID, COORDINATE }

  private EvaluateJob() {}

  public static OodReport run(SparkSession spark, Sensitivity sens, LinearHead head, String featuresPath, Roles roles,
                              List<PruningPercentages> grid, String output, boolean overwrite) {
    return run(spark, sens, head, featuresPath, roles, grid, Decision.defaults(), null, output, overwrite);
  }

  /**
   * @param bundle what the detector bundle records beside the fitted state (model, preprocessing); null: no bundle
   */
  public static OodReport run(SparkSession spark, Sensitivity sens, LinearHead head, String featuresPath, Roles roles,
                              List<PruningPercentages> grid, Decision decision, DetectorBundle.Context bundle,
                              String output, boolean overwrite) {
    var conf = spark.sparkContext().hadoopConfiguration();
    for (String p : outputs(output, bundle != null)) {
      Outputs.checkWritable(conf, p, overwrite);
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dataset<Row> cache = FeatureCacheJob.read(spark, featuresPath);
    Dataset<Row> train = cache.where(col("dataset").equalTo(roles.train())).select("id", "features", "logits", "label");

    // 1. Statistics of the ID training features.
    TrainingFit.Fitted fit = TrainingFit.run(jsc, train, head, DetectorSelection.REACT_PERCENTILES,
        roles.knnBankSize());
    MethodOptions base = MethodOptions.defaults().withTemperature(sens.temperature())
        .withVim(fit.vim(), fit.vimMeanResidual()).withKnnBank(fit.bank());

    // 2. The detector, chosen on validation data only.
    DetectorSelection.Outcome chosen = DetectorSelection.run(jsc, cache, sens, head, fit, base, roles, grid,
        new DetectorSelection.Settings(decision.keep(), decision.criterion(), decision.bootstrapResamples(), 20231127L,
            decision.sweep()));
    PruningPlan plan = PruningPlan.of(sens, chosen.plan().plan());
    LinearHead pruned = head.pruned(plan);
    List<OodMethod> methods = new ArrayList<>();
    for (String name : OodMethods.NAMES) {
      DetectorSpec spec = name.equals(OodMethods.OPNP_REACT) && chosen.bestOpnpReact() != null ? chosen.bestOpnpReact()
          : DetectorSpec.usesPlan(name) ? DetectorSpec.of(name).withPlan(chosen.plan().plan()) : DetectorSpec.of(name);
      methods.add(DetectorSelection.build(spec, head, fit, base, pruned));
    }
    methods.add(chosen.chosenMethod());

    // 3. The test sets, every method and the chosen detector, in one distributed pass over the cache.
    List<String> evalSets = new ArrayList<>();
    evalSets.add(roles.idTest());
    evalSets.addAll(roles.oods());
    Broadcast<ArrayList<OodMethod>> methodsB = jsc.broadcast(new ArrayList<>(methods));
    Broadcast<LinearHead[]> headsB = jsc.broadcast(new LinearHead[] {head, pruned});
    StructType schema = scoreSchema();
    String staging = Outputs.staging(output + "/scores-all");
    OodReport report;
    try {
      io.opnp.spark.Stages.describe(jsc, "opnp evaluate: score the test sets with " + methods.size() + " methods");
      Dataset<Row> evalRows = cache.where(col("dataset").isin(evalSets.toArray()));
      spark.createDataFrame(evalRows.javaRDD().mapPartitions(new ScorePartition(methodsB, headsB, sens.temperature())),
          schema).write().partitionBy("dataset").parquet(staging + "/scores-all");
      List<Row> rows = spark.read().schema(schema).parquet(staging + "/scores-all").drop("id").collectAsList();

      // 4. Report, plots and the detector bundle.
      report = buildReport(rows, roles, chosen, plan, sens, staging, conf)
          .withExtra("engine", io.opnp.model.EngineProvenance.current(spark.sparkContext().isLocal()));
      report = report.withExtra("recommendation", Recommendation.json(chosen, decision, roles, rows, report));
      Outputs.create(conf, staging + "/metrics.json", report.json());
      Outputs.create(conf, staging + "/report.md", Recommendation.markdown(report, chosen, decision, roles)
          + Reports.markdown(report, roles, chosen.sweep(), chosen.plan()));
      Outputs.create(conf, staging + "/metrics.md", report.markdown());
      if (bundle != null) {
        DetectorSpec spec = chosen.chosen();
        double clip = DetectorSpec.usesReact(spec.method()) ? fit.reactThreshold(spec.reactPercentile()) : Double.NaN;
        @SuppressWarnings("unchecked")
        Map<String, Object> rec = (Map<String, Object>) report.extra().get("recommendation");
        Map<String, Object> summary = new LinkedHashMap<>();
        for (String k : List.of("criterion", "criterion_auroc", "proxies", "why", "stable", "pruning")) {
          summary.put(k, rec.get(k));
        }
        DetectorBundle.save(spark, staging + "/detector", bundle, new DetectorBundle.Fitted(spec, clip,
            chosen.threshold(), decision.keep(), chosen.calibrationScores(), fit.stats(), fit.vimMeanResidual(),
            fit.bank(), sens, summary));
      }
      if (overwrite) {
        Outputs.delete(conf, output + "/metrics.json");
      }
      Outputs.commit(conf, staging + "/scores-all", output + "/scores-all", overwrite);
      Outputs.commit(conf, staging + "/plots", output + "/plots", overwrite);
      if (bundle != null) {
        Outputs.commit(conf, staging + "/detector", output + "/detector", overwrite);
      }
      Outputs.commit(conf, staging + "/report.md", output + "/report.md", overwrite);
      Outputs.commit(conf, staging + "/metrics.md", output + "/metrics.md", overwrite);
      Outputs.commit(conf, staging + "/metrics.json", output + "/metrics.json", overwrite);
    } finally {
      Outputs.abort(conf, staging);
      io.opnp.spark.Stages.clear(jsc);
      methodsB.destroy();
      headsB.destroy();
    }
    return report;
  }

  /** Every path evaluate writes under {@code output}. */
  public static List<String> outputs(String output, boolean bundle) {
    List<String> out = new ArrayList<>();
    for (String p : List.of("metrics.json", "metrics.md", "report.md", "plots", "scores-all")) {
      out.add(output + "/" + p);
    }
    if (bundle) {
      out.add(output + "/detector");
    }
    return out;
  }

  private static OodReport buildReport(List<Row> rows, Roles roles, DetectorSelection.Outcome chosen,
                                       PruningPlan plan, Sensitivity sens, String staging,
                                       org.apache.hadoop.conf.Configuration hadoopConf) {
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
        s[i] = r.getAs(i < OodMethods.NAMES.size() ? OodMethods.NAMES.get(i) : DETECTOR);
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
      validation.put("opnp_react_percentile", chosen.bestOpnpReact().reactPercentile());
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

  static StructType scoreSchema() {
    StructType s = new StructType()
        .add("id", DataTypes.StringType, false)
        .add("dataset", DataTypes.StringType, false)
        .add("label", DataTypes.LongType, true)
        .add("pred", DataTypes.IntegerType, false)
        .add("conf", DataTypes.DoubleType, false)
        .add("opnp_pred", DataTypes.IntegerType, false)
        .add("opnp_conf", DataTypes.DoubleType, false);
    for (String m : OodMethods.NAMES) {
      s = s.add(m, DataTypes.DoubleType, false);
    }
    return s.add(DETECTOR, DataTypes.DoubleType, false);
  }

  private static double[] score(OodMethod m, double[] features, int n) {
    double[] out = new double[n];
    m.score(features, n, out);
    return out;
  }

  /** At most {@code limit} feature rows of a cached dataset, to the driver (validation sets, the KNN bank). */
  public static double[] collectFeatures(Dataset<Row> ds, int limit, int d) {
    // The first images by id: the same subset whatever the cache's partitioning.
    List<Row> rows = ds.select("id", "features").orderBy("id").limit(limit).select("features").collectAsList();
    double[] out = new double[rows.size() * d];
    for (int k = 0; k < rows.size(); k++) {
      FeatureRows.copy(rows.get(k), 0, d, out, k * d);
    }
    return out;
  }

  /** Every method's score, the predictions and confidences of both heads, per cached image. */
  static final class ScorePartition implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<ArrayList<OodMethod>> methods;
    private final Broadcast<LinearHead[]> heads;
    private final double temperature;

    ScorePartition(Broadcast<ArrayList<OodMethod>> methods, Broadcast<LinearHead[]> heads, double temperature) {
      this.methods = methods;
      this.heads = heads;
      this.temperature = temperature;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      List<OodMethod> ms = methods.value();
      LinearHead head = heads.value()[0];
      LinearHead pruned = heads.value()[1];
      int d = head.dim();
      int c = head.classes();
      double[] f = new double[BATCH * d];
      double[][] s = new double[ms.size()][BATCH];
      double[] logits = new double[BATCH * c];
      double[] prunedLogits = new double[BATCH * c];
      // Lazily, one batch at a time: memory stays bounded by the batch, not the partition.
      return new Iterator<>() {
        private final List<Row> batch = new ArrayList<>(BATCH);
        private final List<Row> ready = new ArrayList<>(BATCH);
        private int next;

        @Override
        public boolean hasNext() {
          if (next < ready.size()) {
            return true;
          }
          if (!rows.hasNext()) {
            return false;
          }
          fill();
          return next < ready.size();
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          return ready.get(next++);
        }

        private void fill() {
          batch.clear();
          ready.clear();
          next = 0;
          while (batch.size() < BATCH && rows.hasNext()) {
            batch.add(rows.next());
          }
          int n = batch.size();
          for (int k = 0; k < n; k++) {
            FeatureRows.copy(batch.get(k), batch.get(k).fieldIndex("features"), d, f, k * d);
          }
          for (int i = 0; i < ms.size(); i++) {
            ms.get(i).score(f, n, s[i]);
          }
          head.logits(f, n, logits);
          pruned.logits(f, n, prunedLogits);
          for (int k = 0; k < n; k++) {
            Row r = batch.get(k);
            Object[] v = new Object[7 + ms.size()];
            v[0] = r.getAs("id");
            v[1] = r.getAs("dataset");
            v[2] = r.getAs("label");
            v[3] = Energy.argmax(logits, k * c, c);
            v[4] = Energy.maxSoftmax(logits, k * c, c, temperature);
            v[5] = Energy.argmax(prunedLogits, k * c, c);
            v[6] = Energy.maxSoftmax(prunedLogits, k * c, c, temperature);
            for (int i = 0; i < ms.size(); i++) {
              v[7 + i] = s[i][k];
            }
            ready.add(RowFactory.create(v));
          }
        }
      };
    }
  }
}
