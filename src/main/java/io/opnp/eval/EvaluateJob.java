package io.opnp.eval;

import static org.apache.spark.sql.functions.col;

import io.opnp.detect.DetectorBundle;
import io.opnp.io.Outputs;
import io.opnp.io.StagedOutputs;
import io.opnp.math.LinearHead;
import io.opnp.math.PruningPercentages;
import io.opnp.math.PruningPlan;
import io.opnp.math.Sensitivity;
import io.opnp.methods.OodMethod;
import io.opnp.report.OodReport;
import io.opnp.spark.FeatureCacheJob;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FittedState;
import io.opnp.methods.Method;
import io.opnp.methods.Param;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every method on cached features, as four named stages: fit the baselines' statistics on the ID
 * training features ({@link TrainingFit}); choose the detector on validation data only
 * ({@link DetectorSelection}: OPNP's plan and every method's hyper-parameters against several OOD
 * proxies, the threshold on held-out ID images); score the ID test set and every OOD set with all
 * methods and the chosen detector in one pass ({@link TestScoring}); report ({@link EvaluationReport},
 * {@link Recommendation}) and save the detector. Options are set on the job and checked in one place; every output is staged and committed together at
 * the end ({@link StagedOutputs}). The
 * backbone never runs here.
 */
public final class EvaluateJob {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);
  /** The score column of the recommended detector in scores-all. */
  public static final String DETECTOR = "detector";

  /**
   * Which cached datasets play which role, and the knobs of the fits.
   *
   * @param proxies the validation OOD proxies' dataset names (made from valId, or given)
   */
  public record Roles(String train, String valId, List<String> proxies, String idTest, List<String> oods,
                      int knnBankSize, int valLimit) {
    /** How much the user's own validation OOD sets count against the proxies made from valId, each. */
    public static final String WEIGHTING = "each of your own validation OOD sets (--val-ood) counts as much as all the "
        + "proxies made from the held-out ID images together";

    /**
     * Each validation OOD set's weight in the mean criterion ({@link #WEIGHTING}): real OOD images are evidence
     * about real OOD data, the proxies only a guess; a made proxy weighs 1.
     */
    public double[] proxyWeights() {
      boolean[] real = realOod();
      long synthetic = IntStream.range(0, real.length).filter(i -> !real[i]).count();
      return IntStream.range(0, real.length).mapToDouble(i -> real[i] ? Math.max(1, synthetic) : 1).toArray();
    }

    /** Per validation OOD set, in proxy order: whether it is the user's own (--val-ood), not a proxy made here. */
    public boolean[] realOod() {
      java.util.Set<String> made = new java.util.HashSet<>();
      for (io.opnp.data.ValidationProxy p : io.opnp.data.ValidationProxy.values()) {
        made.add(p.datasetName(valId));
      }
      boolean[] real = new boolean[proxies.size()];
      for (int i = 0; i < real.length; i++) {
        real[i] = !made.contains(proxies.get(i));
      }
      return real;
    }
  }

  /** What the choice of detector is to aim for. */
  public record Decision(double keep, io.opnp.decision.Criterion criterion, int bootstrapResamples, SweepMode sweep,
                         io.opnp.decision.ChoiceRule rule, double minClassCoverage) {
    public static Decision defaults() {
      return new Decision(0.95, io.opnp.decision.Criterion.MEAN, io.opnp.decision.FalseAlarmBootstrap.DEFAULT_RESAMPLES,
          SweepMode.AUTO, io.opnp.decision.ChoiceRule.FUSION, io.opnp.decision.ClassCoverage.DEFAULT_MIN_SHARE);
    }
  }

  /**
   * How OPNP's plans are searched: the whole grid, a coordinate search over its axes, or the grid
   * unless it would take more than {@link DetectorSelection#AUTO_GRID_SECONDS} on this driver.
   */
  public enum SweepMode { AUTO, GRID, COORDINATE }

  /**
   * What evaluate found: the metrics (metrics.json, with the recommendation rendered into it) and the
   * recommended detector, typed, for callers that print or compare it.
   */
  public record Result(OodReport report, Recommendation recommendation) {
    public Result {
      java.util.Objects.requireNonNull(report, "report");
      java.util.Objects.requireNonNull(recommendation, "recommendation");
    }
  }

  private final SparkSession spark;
  private final Sensitivity sens;
  private final LinearHead head;
  private final String featuresPath;
  private Roles roles;
  private List<PruningPercentages> grid;
  private Decision decision = Decision.defaults();
  private DetectorBundle.Context bundle;
  private String output;
  private boolean overwrite;
  private StageTimes times = new StageTimes();

  private EvaluateJob(SparkSession spark, Sensitivity sens, LinearHead head, String featuresPath) {
    this.spark = spark;
    this.sens = sens;
    this.head = head;
    this.featuresPath = featuresPath;
  }

  /**
   * A job on the feature cache at {@code featuresPath} of the model whose head is {@code head}, with the training
   * set's sensitivity {@code sens}; set its options, then {@link #execute()} (or {@link #fitDetector}).
   */
  public static EvaluateJob on(SparkSession spark, Sensitivity sens, LinearHead head, String featuresPath) {
    return new EvaluateJob(spark, sens, head, featuresPath);
  }

  /** Which cached datasets play which role (required). */
  public EvaluateJob roles(Roles r) {
    this.roles = r;
    return this;
  }

  /** OPNP's plans to search (required). */
  public EvaluateJob grid(List<PruningPercentages> g) {
    this.grid = g;
    return this;
  }

  /** What the choice aims for; {@link Decision#defaults()} unless set. */
  public EvaluateJob decision(Decision d) {
    this.decision = d;
    return this;
  }

  /** Also save the chosen detector, with the model and preprocessing {@code context} names; none unless set. */
  public EvaluateJob bundle(DetectorBundle.Context context) {
    this.bundle = context;
    return this;
  }

  /** Where the outputs go (required), replacing existing ones only when {@code replace}. */
  public EvaluateJob output(String dir, boolean replace) {
    this.output = dir;
    this.overwrite = replace;
    return this;
  }

  /** Where each stage's wall time is recorded (and reported in metrics.json). */
  public EvaluateJob times(StageTimes t) {
    this.times = t;
    return this;
  }

  /** The options, checked in one place before any work. */
  private void checkOptions(boolean needsTests) {
    io.opnp.math.Check.argument(sens != null && head != null && featuresPath != null,
        "evaluate needs the sensitivity, the model's head and the feature cache");
    io.opnp.math.Check.argument(roles != null, "evaluate needs the datasets' roles (roles(...))");
    io.opnp.math.Check.argument(grid != null && !grid.isEmpty(), "evaluate needs OPNP's plans to search (grid(...))");
    io.opnp.math.Check.argument(decision != null && times != null, "decision and times must not be null");
    io.opnp.math.Check.argument(output != null, "evaluate needs an output directory (output(...))");
    io.opnp.math.Check.argument(!needsTests || (roles.idTest() != null && !roles.oods().isEmpty()),
        "evaluate needs an ID test set and at least one OOD set; to fit the detector alone use fitDetector");
  }

  /**
   * The four stages, then one commit of every output: fit and choose on the training and validation data, score the
   * test sets, write the report and plots, save the detector.
   */
  public Result execute() {
    checkOptions(true);
    List<String> names = outputs(bundle != null);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    try (StagedOutputs out = new StagedOutputs(spark.sparkContext().hadoopConfiguration(), output, names, overwrite)) {
      Dataset<Row> cache = FeatureCacheJob.read(spark, featuresPath);
      Choice choice = choose(jsc, cache);
      List<Row> rows = scoreTestSets(cache, choice, out);
      Result result = report(choice, rows, out);
      if (bundle != null) {
        saveBundle(spark, out.path(DETECTOR), bundle, choice, decision, result.recommendation());
      }
      out.commit();
      return result;
    } finally {
      io.opnp.spark.Stages.clear(jsc);
    }
  }

  /**
   * Stages 1 and 2 alone, as {@code OodDetector.fit} runs them: the training statistics, then the detector chosen on
   * validation data only, then its bundle committed to {@code dir}. No test set is read; the bundle equals the one
   * {@link #execute} saves from the same cache.
   */
  public Recommendation fitDetector() {
    checkOptions(false);
    io.opnp.math.Check.argument(bundle != null, "fitDetector needs what the bundle records (bundle(...))");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(output);
    try (StagedOutputs out = new StagedOutputs(spark.sparkContext().hadoopConfiguration(),
        dir.getParent().toString(), List.of(dir.getName()), overwrite)) {
      Choice choice = choose(jsc, FeatureCacheJob.read(spark, featuresPath));
      Recommendation recommendation = Recommendation.of(choice.chosen(), decision, List.of());
      saveBundle(spark, out.path(dir.getName()), bundle, choice, decision, recommendation);
      out.commit();
      return recommendation;
    } finally {
      io.opnp.spark.Stages.clear(jsc);
    }
  }

  /** Stage 3: the test sets, every method and the chosen detector, in one distributed pass over the cache. */
  private List<Row> scoreTestSets(Dataset<Row> cache, Choice choice, StagedOutputs out) {
    DetectorSelection.Outcome chosen = choice.chosen();
    LinearHead pruned = choice.fit().pruned(head, chosen.plan().plan());  // the OPNP methods' own head
    List<OodMethod> methods = TestScoring.methods(head, choice.fit(), sens.temperature(), chosen);
    return times.time("test scoring", StageTimes.Where.EXECUTORS, () -> TestScoring.run(spark, cache, roles,
        methods, head, pruned, sens.temperature(), out.path("scores-all")));
  }

  /** Stage 4: metrics, plots, the recommendation and the report. */
  private Result report(Choice choice, List<Row> rows, StagedOutputs out) {
    var conf = spark.sparkContext().hadoopConfiguration();
    DetectorSelection.Outcome chosen = choice.chosen();
    PruningPlan plan = PruningPlan.of(sens, chosen.plan().plan());
    OodReport metrics = times.time("metrics, plots", StageTimes.Where.DRIVER, () ->
        EvaluationReport.build(rows, roles, chosen, plan, sens, out.root(), conf)
            .withExtra("engine", io.opnp.model.EngineProvenance.current(spark.sparkContext().isLocal()))
            .withExtra("knn_bank", Reports.knnBankJson(choice.fit().bank())));
    List<Recommendation.TestFigures> figures = Recommendation.testFigures(chosen, roles, rows);
    Recommendation recommendation = Recommendation.of(chosen, decision, figures);
    OodReport report = metrics.withExtra("recommendation", recommendation.json())
        .withExtra("choice_uncertainty", chosen.spread().json())
        .withExtra("fusion_members", chosen.fusion().json())
        .withExtra("class_coverage", chosen.eligibility().json())
        .withExtra("stage_seconds", times.json());
    Outputs.create(conf, out.path("metrics.json"), report.json());
    Outputs.create(conf, out.path("report.md"), Recommendation.markdown(chosen, decision, roles, figures)
        + Reports.markdown(report, roles, chosen.sweep(), chosen.plan()) + Reports.knnBankMarkdown(choice.fit().bank()));
    Outputs.create(conf, out.path("metrics.md"), report.markdown());
    return new Result(report, recommendation);
  }

  /** The outputs evaluate writes, in commit order: metrics.json last, as it marks a complete run. */
  public static List<String> outputs(boolean withBundle) {
    List<String> names = new ArrayList<>(List.of("scores-all", "plots"));
    if (withBundle) {
      names.add(DETECTOR);
    }
    names.addAll(List.of("report.md", "metrics.md", "metrics.json"));
    return names;
  }

  /** What stages 1 and 2 fitted and chose: everything the detector bundle holds. */
  public record Choice(FittedState fit, DetectorSelection.Outcome chosen) {}

  /** Stages 1 and 2: the training statistics, then the detector chosen on validation data only. */
  private Choice choose(JavaSparkContext jsc, Dataset<Row> cache) {
    return choose(jsc, cache, sens, head, roles, grid, decision, times);
  }

  private static Choice choose(JavaSparkContext jsc, Dataset<Row> cache, Sensitivity sens, LinearHead head, Roles roles,
                               List<PruningPercentages> grid, Decision decision, StageTimes times) {
    Dataset<Row> train = cache.where(col("dataset").equalTo(roles.train())).select("id", "features", "logits", "label");
    // 1. Statistics of the ID training features.
    FittedState fit = TrainingFit.run(jsc, train, head, io.opnp.methods.Param.REACT_PERCENTILE.grid(),
        roles.knnBankSize(), times).withSensitivity(sens);
    // 2. The detector, chosen on validation data only.
    DetectorSelection.Outcome chosen = DetectorSelection.run(jsc, cache, sens, head, fit, roles, grid,
        new DetectorSelection.Settings(decision.keep(), decision.criterion(), decision.bootstrapResamples(), 20231127L,
            decision.sweep(), decision.rule(), decision.minClassCoverage()), times);
    return new Choice(chosen.fusion().fit(), chosen);  // the state with the fusion's references
  }

  private static void saveBundle(SparkSession spark, String dir, DetectorBundle.Context bundle, Choice choice,
                                 Decision decision, Recommendation recommendation) {
    FittedState fit = choice.fit();
    DetectorSelection.Outcome chosen = choice.chosen();
    DetectorSpec spec = chosen.chosen();
    DetectorBundle.save(spark, dir, bundle, new DetectorBundle.Fitted(spec, chosen.threshold(), decision.keep(),
        chosen.calibrationScores(), fit, recommendation.bundleSummary()));
  }


}
