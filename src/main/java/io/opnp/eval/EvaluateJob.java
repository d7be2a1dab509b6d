package io.opnp.eval;

import static org.apache.spark.sql.functions.col;

import io.opnp.detect.DetectorBundle;
import io.opnp.io.Outputs;
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
 * {@link Recommendation}) and save the detector. Everything is staged and committed at the end. The
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

  private EvaluateJob() {}

  public static Result run(SparkSession spark, Sensitivity sens, LinearHead head, String featuresPath, Roles roles,
                              List<PruningPercentages> grid, String output, boolean overwrite) {
    return run(spark, sens, head, featuresPath, roles, grid, Decision.defaults(), null, output, overwrite);
  }

  public static Result run(SparkSession spark, Sensitivity sens, LinearHead head, String featuresPath, Roles roles,
                              List<PruningPercentages> grid, Decision decision, DetectorBundle.Context bundle,
                              String output, boolean overwrite) {
    return run(spark, sens, head, featuresPath, roles, grid, decision, bundle, output, overwrite, new StageTimes());
  }

  /**
   * @param bundle what the detector bundle records beside the fitted state (model, preprocessing); null: no bundle
   * @param times where each stage's wall time is recorded (and reported in metrics.json)
   */
  public static Result run(SparkSession spark, Sensitivity sens, LinearHead head, String featuresPath, Roles roles,
                              List<PruningPercentages> grid, Decision decision, DetectorBundle.Context bundle,
                              String output, boolean overwrite, StageTimes times) {
    var conf = spark.sparkContext().hadoopConfiguration();
    for (String p : outputs(output, bundle != null)) {
      Outputs.checkWritable(conf, p, overwrite);
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dataset<Row> cache = FeatureCacheJob.read(spark, featuresPath);

    // 1 and 2: the training statistics, then the detector chosen on validation data only.
    Choice choice = choose(jsc, cache, sens, head, roles, grid, decision, times);
    FittedState fit = choice.fit();
    DetectorSelection.Outcome chosen = choice.chosen();
    PruningPlan plan = PruningPlan.of(sens, chosen.plan().plan());
    LinearHead pruned = fit.pruned(head, chosen.plan().plan());  // the OPNP methods' own head
    List<OodMethod> methods = TestScoring.methods(head, fit, sens.temperature(), chosen);

    // 3. The test sets, every method and the chosen detector, in one distributed pass over the cache.
    String staging = Outputs.staging(output + "/scores-all");
    Result result;
    try {
      List<Row> rows = times.time("test scoring", StageTimes.Where.EXECUTORS, () -> TestScoring.run(spark, cache, roles,
          methods, head, pruned, sens.temperature(), staging + "/scores-all"));

      // 4. Report, plots and the detector bundle.
      OodReport metrics = times.time("metrics, plots", StageTimes.Where.DRIVER, () ->
          EvaluationReport.build(rows, roles, chosen, plan, sens, staging, conf)
              .withExtra("engine", io.opnp.model.EngineProvenance.current(spark.sparkContext().isLocal()))
              .withExtra("knn_bank", Reports.knnBankJson(fit.bank())));
      List<Recommendation.TestFigures> figures = Recommendation.testFigures(chosen, roles, rows);
      Recommendation recommendation = Recommendation.of(chosen, decision, figures);
      OodReport report = metrics.withExtra("recommendation", recommendation.json())
          .withExtra("stage_seconds", times.json());
      Outputs.create(conf, staging + "/metrics.json", report.json());
      Outputs.create(conf, staging + "/report.md", Recommendation.markdown(chosen, decision, roles, figures)
          + Reports.markdown(report, roles, chosen.sweep(), chosen.plan()) + Reports.knnBankMarkdown(fit.bank()));
      Outputs.create(conf, staging + "/metrics.md", report.markdown());
      if (bundle != null) {
        saveBundle(spark, staging + "/detector", bundle, choice, decision, recommendation);
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
      result = new Result(report, recommendation);
    } finally {
      Outputs.abort(conf, staging);
      io.opnp.spark.Stages.clear(jsc);
    }
    return result;
  }

  /** What stages 1 and 2 fitted and chose: everything the detector bundle holds. */
  public record Choice(FittedState fit, DetectorSelection.Outcome chosen) {}

  /**
   * Stages 1 and 2 alone, as {@code OodDetector.fit} runs them: the training statistics, then the
   * detector chosen on validation data only, then its bundle committed to {@code dir}. No test set is
   * read; the bundle equals the one {@link #run} saves from the same cache.
   */
  public static Recommendation fitDetector(SparkSession spark, Sensitivity sens, LinearHead head, String featuresPath,
                                           Roles roles, List<PruningPercentages> grid, Decision decision,
                                           DetectorBundle.Context bundle, String dir, boolean overwrite) {
    var conf = spark.sparkContext().hadoopConfiguration();
    Outputs.checkWritable(conf, dir, overwrite);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String staging = Outputs.staging(dir);
    try {
      Choice choice = choose(jsc, FeatureCacheJob.read(spark, featuresPath), sens, head, roles, grid, decision,
          new StageTimes());
      Recommendation recommendation = Recommendation.of(choice.chosen(), decision, List.of());
      saveBundle(spark, staging, bundle, choice, decision, recommendation);
      Outputs.commit(conf, staging, dir, overwrite);
      return recommendation;
    } finally {
      Outputs.abort(conf, staging);
      io.opnp.spark.Stages.clear(jsc);
    }
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
            decision.sweep()), times);
    return new Choice(fit, chosen);
  }

  private static void saveBundle(SparkSession spark, String dir, DetectorBundle.Context bundle, Choice choice,
                                 Decision decision, Recommendation recommendation) {
    FittedState fit = choice.fit();
    DetectorSelection.Outcome chosen = choice.chosen();
    DetectorSpec spec = chosen.chosen();
    double clip = spec.method().needs(Method.Need.REACT_THRESHOLD)
        ? fit.reactThreshold(spec.value(Param.REACT_PERCENTILE)) : Double.NaN;
    DetectorBundle.save(spark, dir, bundle, new DetectorBundle.Fitted(spec, clip, chosen.threshold(), decision.keep(),
        chosen.calibrationScores(), fit.training(), fit.vimMeanResidual(), fit.vim(), fit.bank(), fit.guides(),
        fit.sensitivity(), recommendation.bundleSummary()));
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
}
