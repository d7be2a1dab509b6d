package io.opnp.eval;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;

import io.opnp.BadInputException;
import io.opnp.calibration.Calibration;
import io.opnp.calibration.ReliabilityDiagram;
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
 * Every method on cached features: fits the baselines' statistics on the ID training features
 * (distributed sums), chooses the OPNP percentages (and the ReAct percentile of OPNP+ReAct) on the
 * validation split, scores the ID test set and every OOD set with all methods in one pass, and
 * writes metrics, calibration, plots and a report. The backbone never runs here.
 */
public final class EvaluateJob {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);
  private static final int BATCH = 512;

  /** Which cached datasets play which role, and the knobs of the fits. */
  public record Roles(String train, String valId, String valOod, String idTest, List<String> oods,
                      int knnBankSize, int valLimit, double[] reactPercentiles) {}

  private EvaluateJob() {}

  public static OodReport run(SparkSession spark, Sensitivity sens, LinearHead head, String featuresPath, Roles roles,
                              List<PruningPercentages> grid, String output, boolean overwrite) {
    var conf = spark.sparkContext().hadoopConfiguration();
    for (String p : List.of(output + "/metrics.json", output + "/metrics.md", output + "/report.md", output + "/plots",
        output + "/scores-all")) {
      Outputs.checkWritable(conf, p, overwrite);
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dataset<Row> cache = FeatureCacheJob.read(spark, featuresPath);
    Dataset<Row> train = cache.where(col("dataset").equalTo(roles.train())).select("id", "features", "logits", "label");
    int c = head.classes();
    int d = head.dim();

    io.opnp.spark.Stages.describe(jsc, "opnp evaluate: training-feature statistics");
    FeatureStatsAccumulator sums = train.javaRDD().mapPartitions(new StatsPartition(c, d))
        .treeAggregate(new FeatureStatsAccumulator(c, d, true), FeatureStatsAccumulator::merge,
            FeatureStatsAccumulator::merge, 2);
    if (sums.count() == 0) {
      throw new BadInputException("the feature cache has no training images for dataset " + roles.train()
          + "; check --train (or rebuild the cache without --reuse-features)");
    }
    FeatureStats stats = sums.result();
    double[] percentiles = new double[roles.reactPercentiles().length + 1];
    percentiles[0] = 0.90;  // ReAct's default
    for (int i = 0; i < roles.reactPercentiles().length; i++) {
      percentiles[i + 1] = roles.reactPercentiles()[i] / 100.0;
    }
    io.opnp.spark.Stages.describe(jsc, "opnp evaluate: ReAct activation percentiles");
    double[] thresholds = train.select(explode(col("features")).as("v")).stat().approxQuantile("v", percentiles, 1e-4);
    VimSubspace vim = VimSubspace.fit(head, stats, 0);
    Broadcast<VimSubspace> vimB = jsc.broadcast(vim);
    io.opnp.spark.Stages.describe(jsc, "opnp evaluate: ViM residual norms of the training features");
    double residualSum = train.javaRDD().mapPartitions(new ResidualPartition(vimB, d))
        .treeAggregate(0.0, Double::sum, Double::sum, 2);
    KnnBank bank = KnnBank.of(collectFeatures(train, roles.knnBankSize(), d), (int) Math.min(roles.knnBankSize(),
        stats.count()), d);

    // The plan and the ReAct percentile of OPNP+ReAct come from the validation split only.
    double[] valId = collectFeatures(cache.where(col("dataset").equalTo(roles.valId())), roles.valLimit(), d);
    double[] valOod = collectFeatures(cache.where(col("dataset").equalTo(roles.valOod())), roles.valLimit(), d);
    int nValId = valId.length / d;
    int nValOod = valOod.length / d;
    long sweepStart = System.nanoTime();
    List<PlanSweep.Point> sweep = PlanSweep.run(sens, head, grid, valId, nValId, valOod, nValOod);
    PlanSweep.Point chosen = PlanSweep.best(sweep);
    double sweepSeconds = (System.nanoTime() - sweepStart) / 1e9;
    LOG.info("plan sweep: {} plans on {} + {} validation images in {} s; chosen {} (validation AUROC {}, FPR95 {})",
        sweep.size(), nValId, nValOod, String.format("%.1f", sweepSeconds), chosen.plan(),
        String.format("%.4f", chosen.metrics().auroc()), String.format("%.4f", chosen.metrics().fpr95()));
    PruningPlan plan = PruningPlan.of(sens, chosen.plan());
    LinearHead pruned = head.pruned(plan);
    MethodOptions base = MethodOptions.defaults().withTemperature(sens.temperature()).withReactThreshold(thresholds[0])
        .withPrunedHead(pruned).withVim(vim, residualSum / stats.count()).withKnnBank(bank);
    int bestReact = 1;
    double bestReactAuroc = -1;
    for (int i = 1; i < percentiles.length; i++) {
      OodMethod m = OodMethods.create(OodMethods.OPNP_REACT, head, stats, base.withReactThreshold(thresholds[i]));
      double auroc = OodMetrics.of(score(m, valId, nValId), score(m, valOod, nValOod)).auroc();
      if (auroc > bestReactAuroc) {
        bestReactAuroc = auroc;
        bestReact = i;
      }
    }
    List<OodMethod> methods = new ArrayList<>();
    for (String name : OodMethods.NAMES) {
      MethodOptions o = name.equals(OodMethods.OPNP_REACT) ? base.withReactThreshold(thresholds[bestReact]) : base;
      methods.add(OodMethods.create(name, head, stats, o));
    }

    // Score the test sets with every method in one distributed pass over the cache.
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
      report = buildReport(rows, roles, chosen, plan, sweep, thresholds, percentiles, bestReact, sweepSeconds,
          nValId, nValOod, sens, staging, conf)
          .withExtra("engine", io.opnp.model.EngineProvenance.current(spark.sparkContext().isLocal()));
      Outputs.create(conf, staging + "/metrics.json", report.json());
      Outputs.create(conf, staging + "/report.md", Reports.markdown(report, roles, sweep, chosen));
      Outputs.create(conf, staging + "/metrics.md", report.markdown());
      if (overwrite) {
        Outputs.delete(conf, output + "/metrics.json");
      }
      Outputs.commit(conf, staging + "/scores-all", output + "/scores-all", overwrite);
      Outputs.commit(conf, staging + "/plots", output + "/plots", overwrite);
      Outputs.commit(conf, staging + "/report.md", output + "/report.md", overwrite);
      Outputs.commit(conf, staging + "/metrics.md", output + "/metrics.md", overwrite);
      Outputs.commit(conf, staging + "/metrics.json", output + "/metrics.json", overwrite);
    } finally {
      Outputs.abort(conf, staging);
      io.opnp.spark.Stages.clear(jsc);
      vimB.destroy();
      methodsB.destroy();
      headsB.destroy();
    }
    return report;
  }

  private static OodReport buildReport(List<Row> rows, Roles roles, PlanSweep.Point chosen, PruningPlan plan,
                                       List<PlanSweep.Point> sweep, double[] thresholds, double[] percentiles,
                                       int bestReact, double sweepSeconds, int nValId, int nValOod, Sensitivity sens,
                                       String staging, org.apache.hadoop.conf.Configuration hadoopConf) {
    int methodsCount = OodMethods.NAMES.size();
    Map<String, List<double[]>> scores = new LinkedHashMap<>();
    List<Row> id = new ArrayList<>();
    for (Row r : rows) {
      String ds = r.getAs("dataset");
      if (ds.equals(roles.idTest())) {
        id.add(r);
      }
      double[] s = new double[methodsCount];
      for (int i = 0; i < methodsCount; i++) {
        s[i] = r.getAs(OodMethods.NAMES.get(i));
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
    for (int i = 0; i < methodsCount; i++) {
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
    validation.put("ood_dataset", roles.valOod());
    validation.put("id_count", nValId);
    validation.put("ood_count", nValOod);
    validation.put("plans_evaluated", sweep.size());
    validation.put("sweep_seconds", sweepSeconds);
    validation.put("chosen_auroc", chosen.metrics().auroc());
    validation.put("chosen_fpr95", chosen.metrics().fpr95());
    sweep.stream().filter(p -> p.plan().equals(new PruningPercentages(0, 0, 0, 0))).findFirst().ifPresent(p -> {
      validation.put("unpruned_auroc", p.metrics().auroc());
      validation.put("unpruned_fpr95", p.metrics().fpr95());
    });
    validation.put("opnp_react_percentile", 100 * percentiles[bestReact]);
    validation.put("opnp_react_threshold", thresholds[bestReact]);
    validation.put("react_threshold_p90", thresholds[0]);
    extra.put("validation", validation);
    Map<String, Object> calibration = new LinkedHashMap<>();
    calibration.put("bins", Calibration.DEFAULT_BINS);
    calibration.put("ece_original", before.ece());
    calibration.put("ece_opnp", after.ece());
    extra.put("calibration", calibration);
    OodReport report = new OodReport(roles.idTest(), n, (double) correct / n, (double) correctOpnp / n, chosen.plan(),
        plan.prunedWeights(), plan.classes() * plan.dim(), plan.prunedNeurons(), plan.dim(), results, Map.of(), extra);
    Plots.writeAll(staging + "/plots", hadoopConf, report, roles, scores, before, after, sens, chosen, sweep);
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
    return s;
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
      List<Float> f = rows.get(k).getList(0);
      for (int j = 0; j < d; j++) {
        out[k * d + j] = f.get(j);
      }
    }
    return out;
  }

  /** Rows of (features, logits[, label], …) in batches of double arrays. */
  private static int fill(Iterator<Row> rows, int d, int c, double[] feats, double[] logits, int[] labels) {
    int n = 0;
    while (n < BATCH && rows.hasNext()) {
      Row r = rows.next();
      List<Float> f = r.getList(r.fieldIndex("features"));
      for (int j = 0; j < d; j++) {
        feats[n * d + j] = f.get(j);
      }
      if (logits != null) {
        List<Float> l = r.getList(r.fieldIndex("logits"));
        for (int i = 0; i < c; i++) {
          logits[n * c + i] = l.get(i);
        }
      }
      if (labels != null) {
        Object lab = r.get(r.fieldIndex("label"));
        labels[n] = lab == null ? -1 : ((Number) lab).intValue();
      }
      n++;
    }
    return n;
  }

  static final class StatsPartition implements FlatMapFunction<Iterator<Row>, FeatureStatsAccumulator> {
    private static final long serialVersionUID = 1L;
    private final int classes;
    private final int dim;

    StatsPartition(int classes, int dim) {
      this.classes = classes;
      this.dim = dim;
    }

    @Override
    public Iterator<FeatureStatsAccumulator> call(Iterator<Row> rows) {
      FeatureStatsAccumulator acc = new FeatureStatsAccumulator(classes, dim, true);
      double[] f = new double[BATCH * dim];
      double[] l = new double[BATCH * classes];
      int[] y = new int[BATCH];
      for (int n = fill(rows, dim, classes, f, l, y); n > 0; n = fill(rows, dim, classes, f, l, y)) {
        for (int k = 0; k < n; k++) {
          if (y[k] < 0 || y[k] >= classes) {
            throw new BadInputException("a training image in the feature cache has label " + y[k]
                + " outside [0, " + classes + "); the training set needs labels for the class-conditional baselines");
          }
        }
        acc.add(f, l, y, n);
      }
      return Collections.singletonList(acc).iterator();
    }
  }

  static final class ResidualPartition implements FlatMapFunction<Iterator<Row>, Double> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<VimSubspace> vim;
    private final int dim;

    ResidualPartition(Broadcast<VimSubspace> vim, int dim) {
      this.vim = vim;
      this.dim = dim;
    }

    @Override
    public Iterator<Double> call(Iterator<Row> rows) {
      double sum = 0;
      double[] f = new double[BATCH * dim];
      for (int n = fill(rows, dim, 0, f, null, null); n > 0; n = fill(rows, dim, 0, f, null, null)) {
        sum += vim.value().residualNormSum(f, n);
      }
      return Collections.singletonList(sum).iterator();
    }
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
            List<Float> h = batch.get(k).getList(batch.get(k).fieldIndex("features"));
            for (int j = 0; j < d; j++) {
              f[k * d + j] = h.get(j);
            }
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
