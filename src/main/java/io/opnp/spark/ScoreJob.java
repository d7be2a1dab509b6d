package io.opnp.spark;

import io.opnp.BadInputException;
import io.opnp.io.Outputs;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.Method;
import io.opnp.math.LinearHead;
import io.opnp.math.OodMetrics;
import io.opnp.math.PruningPercentages;
import io.opnp.math.PruningPlan;
import io.opnp.math.Sensitivity;
import io.opnp.model.HeadReader;
import io.opnp.report.MethodResult;
import io.opnp.report.OodReport;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
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
 * The prune + score job: a pruning plan from the sensitivities, then per-sample Energy and OPNP
 * scores for the ID test set and every OOD set in one Spark job (their partitions run side by
 * side, not one dataset after another), written as Parquet, then the metrics. The scores come from
 * the method table's {@code energy} and {@code opnp} (at the run's plan), built as every other entry
 * point builds them ({@link DetectorSpec#build}) and scored per batch in one pass.
 */
public final class ScoreJob {
  private static final Logger LOG = LoggerFactory.getLogger(ScoreJob.class);

  public static final StructType SCORES = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("dataset", DataTypes.StringType, false)
      .add("label", DataTypes.LongType, true)
      .add("pred", DataTypes.IntegerType, true)
      .add("energy", DataTypes.DoubleType, true)
      .add("opnp_pred", DataTypes.IntegerType, true)
      .add("opnp", DataTypes.DoubleType, true)
      // null when scored; "skipped: <reason>" for an unreadable image under --on-bad-image=skip
      .add("status", DataTypes.StringType, true);

  /**
   * The methods scored, in the order of their columns in {@link #SCORES}: each method's predicted
   * class ({@code pred}, {@code opnp_pred}) and its score (the column named as the method).
   */
  static final List<Method> METHODS = List.of(Method.ENERGY, Method.OPNP);

  private ScoreJob() {}

  /**
   * @param output directory for {@code scores/} (Parquet, partitioned by dataset), {@code metrics.json}
   *     and {@code metrics.md}
   */
  public static OodReport run(SparkSession spark, InferenceConfig cfg, Sensitivity sensitivity,
                              PruningPercentages percentages, Dataset<Row> idTest, String idName,
                              List<Dataset<Row>> oodSets, List<String> oodNames, String output, boolean overwrite) {
    if (oodSets.isEmpty()) {
      throw new BadInputException("no OOD dataset given; pass at least one --ood name=format:path");
    }
    checkSensitivityFits(sensitivity, cfg);
    checkOutputs(spark, output, overwrite);
    LinearHead head = ModelHeads.checkedHead(spark, cfg, idTest, "ID test set " + idName, true);
    checkShape(sensitivity, head);
    PruningPlan plan = PruningPlan.of(sensitivity, percentages);
    LOG.info("{}", plan);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<ScoringMethods> methods = jsc.broadcast(methods(head, sensitivity, percentages, cfg.temperature()));

    Dataset<Row> all = idTest;
    for (Dataset<Row> d : oodSets) {
      all = all.unionByName(d);
    }
    String label = "opnp score: energy and OPNP scores for " + idName + " and " + String.join(", ", oodNames);
    try {
      return write(spark, jsc, all.javaRDD().mapPartitions(new ScorePartition(cfg, methods, idName)), label, idName,
          oodNames, percentages, plan, output, overwrite);
    } finally {
      methods.destroy();
    }
  }

  /**
   * The same job from a feature cache ({@link FeatureCacheJob}): the backbone does not run, the
   * scores are those the images give (the logits are recomputed from the cached features in
   * float64 either way). Re-scoring with another plan therefore reads only the cache.
   *
   * @param cache the cache's rows (columns id, dataset, label, features)
   */
  public static OodReport runFromFeatures(SparkSession spark, InferenceConfig cfg, Dataset<Row> cache,
                                          Sensitivity sensitivity, PruningPercentages percentages, String idName,
                                          List<String> oodNames, String output, boolean overwrite) {
    if (oodNames.isEmpty()) {
      throw new BadInputException("no OOD dataset given; pass at least one --ood NAME");
    }
    checkSensitivityFits(sensitivity, cfg);
    checkOutputs(spark, output, overwrite);
    // Only the head's parameters are read: the model never runs here.
    LinearHead head = HeadReader.read(ExecutorModels.model(cfg), cfg.weightParam(), cfg.biasParam());
    checkShape(sensitivity, head);
    PruningPlan plan = PruningPlan.of(sensitivity, percentages);
    LOG.info("{}", plan);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<ScoringMethods> methods = jsc.broadcast(methods(head, sensitivity, percentages,
        sensitivity.temperature()));
    List<String> wanted = new ArrayList<>(oodNames);
    wanted.add(0, idName);
    Dataset<Row> rows = cache.where(org.apache.spark.sql.functions.col("dataset").isin(wanted.toArray()))
        .select("id", "dataset", "label", "features");
    String label = "opnp score from cached features: " + idName + " and " + String.join(", ", oodNames);
    try {
      return write(spark, jsc, rows.javaRDD().mapPartitions(new CachedScorePartition(methods, idName)), label,
          idName, oodNames, percentages, plan, output, overwrite);
    } finally {
      methods.destroy();
    }
  }

  /** {@link #METHODS} as specs (OPNP's at {@code percentages}), built on the head and the sensitivity. */
  static ScoringMethods methods(LinearHead head, Sensitivity sensitivity, PruningPercentages percentages,
                                double temperature) {
    List<DetectorSpec> specs = new ArrayList<>();
    for (Method m : METHODS) {
      DetectorSpec spec = DetectorSpec.of(m);
      specs.add(m.usesPlan() ? spec.withPlan(percentages) : spec);
    }
    return ScoringMethods.of(specs, head, sensitivity, temperature);
  }

  /** The sensitivities must come from this model file and temperature. */
  public static void checkSensitivityFits(Sensitivity sensitivity, InferenceConfig cfg) {
    if (sensitivity.modelSha256() != null && cfg.modelSha256() != null
        && !sensitivity.modelSha256().equals(cfg.modelSha256())) {
      throw new BadInputException("the sensitivities were computed for model " + sensitivity.modelName() + " (sha256 "
          + sensitivity.modelSha256() + "), not for " + cfg.modelName() + " (sha256 " + cfg.modelSha256()
          + "); rerun the sensitivity job with this model");
    }
    if (sensitivity.temperature() != cfg.temperature()) {
      throw new BadInputException("the sensitivities were computed at temperature " + sensitivity.temperature()
          + " but this run asks for " + cfg.temperature() + "; use the same --temperature for both jobs");
    }
  }

  private static void checkShape(Sensitivity sensitivity, LinearHead head) {
    if (head.classes() != sensitivity.classes() || head.dim() != sensitivity.dim()) {
      throw new BadInputException(String.format("the sensitivities are %dx%d but the model's head is %dx%d; "
          + "rerun the sensitivity job with this model", sensitivity.classes(), sensitivity.dim(),
          head.classes(), head.dim()));
    }
  }

  /** Checked before the model runs, not after. */
  private static void checkOutputs(SparkSession spark, String output, boolean overwrite) {
    var conf = spark.sparkContext().hadoopConfiguration();
    for (String p : List.of(output + "/scores", output + "/metrics.json", output + "/metrics.md")) {
      Outputs.checkWritable(conf, p, overwrite);
    }
  }

  private static OodReport write(SparkSession spark, JavaSparkContext jsc, JavaRDD<Row> scores, String label,
                                 String idName, List<String> oodNames, PruningPercentages percentages,
                                 PruningPlan plan, String output, boolean overwrite) {
    var conf = spark.sparkContext().hadoopConfiguration();
    String scoresPath = output + "/scores";
    String jsonPath = output + "/metrics.json";
    String mdPath = output + "/metrics.md";
    // Scores and metrics are made in one hidden staging directory and moved into place only when
    // all of them are complete; metrics.json moves last and marks a finished run.
    String staging = Outputs.staging(scoresPath);
    long start = System.nanoTime();
    OodReport report;
    try {
      Stages.describe(jsc, label);
      spark.createDataFrame(scores, SCORES).write().partitionBy("dataset").parquet(staging + "/scores");
      LOG.info("scored all datasets in {} s", String.format("%.1f", (System.nanoTime() - start) / 1e9));
      Stages.describe(jsc, "opnp metrics: collect scores");
      // An explicit schema keeps dataset names strings (partition inference would turn "1" into an int).
      report = metrics(spark.read().schema(SCORES).parquet(staging + "/scores"), idName, oodNames, percentages, plan)
          .withExtra("engine", io.opnp.model.EngineProvenance.current(spark.sparkContext().isLocal()));
      Outputs.create(conf, staging + "/metrics.md", report.markdown());
      Outputs.create(conf, staging + "/metrics.json", report.json());
      if (overwrite) {
        Outputs.delete(conf, jsonPath);  // never leave an old metrics.json beside new scores
      }
      Outputs.commit(conf, staging + "/scores", scoresPath, overwrite);
      Outputs.commit(conf, staging + "/metrics.md", mdPath, overwrite);
      Outputs.commit(conf, staging + "/metrics.json", jsonPath, overwrite);
    } finally {
      Outputs.abort(conf, staging);
      Stages.clear(jsc);
    }
    return report;
  }

  /** Collects only the score columns (a few numbers per sample) to the driver and computes the metrics. */
  static OodReport metrics(Dataset<Row> scores, String idName, List<String> oodNames,
                           PruningPercentages percentages, PruningPlan plan) {
    // Columns 0-3 as named here, then one score column per method (4 + m), named as the method.
    List<String> columns = new ArrayList<>(List.of("dataset", "label", "pred", "opnp_pred"));
    METHODS.forEach(m -> columns.add(m.key()));
    Map<String, List<Row>> byDataset = new LinkedHashMap<>();
    Map<String, Long> skipped = new java.util.TreeMap<>();
    for (Row r : scores.selectExpr(columns.toArray(String[]::new)).collectAsList()) {
      if (r.isNullAt(4)) {
        skipped.merge(r.getString(0), 1L, Long::sum);
      } else {
        byDataset.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r);
      }
    }
    List<Row> id = byDataset.getOrDefault(idName, List.of());
    if (id.isEmpty()) {
      throw new BadInputException("the ID test set " + idName + " has no images; check its path");
    }
    long correct = 0;
    long correctOpnp = 0;
    for (Row r : id) {
      long label = r.getLong(1);
      correct += r.getInt(2) == label ? 1 : 0;
      correctOpnp += r.getInt(3) == label ? 1 : 0;
    }
    List<MethodResult> results = new ArrayList<>();
    for (int m = 0; m < METHODS.size(); m++) {
      double[] idScores = column(id, 4 + m);
      for (String ood : oodNames) {
        List<Row> rows = byDataset.getOrDefault(ood, List.of());
        if (rows.isEmpty()) {
          throw new BadInputException("OOD dataset " + ood + " has no images; check its path");
        }
        double[] s = column(rows, 4 + m);
        results.add(new MethodResult(METHODS.get(m).key(), ood, s.length, OodMetrics.of(idScores, s)));
      }
    }
    return new OodReport(idName, id.size(), (double) correct / id.size(), (double) correctOpnp / id.size(),
        percentages, plan.prunedWeights(), plan.classes() * plan.dim(), plan.prunedNeurons(), plan.dim(), results,
        skipped);
  }

  private static double[] column(List<Row> rows, int field) {
    double[] v = new double[rows.size()];
    for (int k = 0; k < v.length; k++) {
      v[k] = rows.get(k).getDouble(field);
    }
    return v;
  }

  /** A row of {@link #SCORES}: each method's predicted class and score in the order of {@link #METHODS}. */
  static Row row(ScoringIterator.Scored s) {
    return RowFactory.create(s.id(), s.dataset(), s.label(), s.pred(0), s.score(0), s.pred(1), s.score(1), s.status());
  }

  /** Scores one partition lazily, batch by batch, into rows of {@link #SCORES}. */
  static final class ScorePartition implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    private final InferenceConfig cfg;
    private final Broadcast<ScoringMethods> methods;
    private final String idName;

    ScorePartition(InferenceConfig cfg, Broadcast<ScoringMethods> methods, String idName) {
      this.cfg = cfg;
      this.methods = methods;
      this.idName = idName;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      return new ScoringIterator<>(cfg, RowLayout.STANDARD, methods.value(), idName, rows, ScoreJob::row);
    }
  }

  /** Scores cached rows (id, dataset, label, features) exactly as {@link ScoringIterator} scores images. */
  static final class CachedScorePartition implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<ScoringMethods> methods;
    private final String idName;

    CachedScorePartition(Broadcast<ScoringMethods> methods, String idName) {
      this.methods = methods;
      this.idName = idName;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      return ScoringIterator.fromCache(methods.value(), idName, rows, ScoreJob::row);
    }
  }
}
