package io.opnp.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.bench.SyntheticCache;
import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.math.SensitivityAccumulator;
import io.opnp.report.MethodResult;
import io.opnp.report.OodReport;
import io.opnp.spark.FeatureCacheJob;
import io.opnp.spark.FeatureRows;
import io.opnp.spark.SensitivityJob;
import io.opnp.testing.SparkTestSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evaluate at ImageNet's head shape, 2048 features × 1000 classes, on a few thousand synthetic
 * cached rows in a real local[2] session: every stage runs, the driver keeps to --val-limit, and the
 * distributed sums and percentiles equal direct computations over the collected rows.
 */
class ImageNetShapeEvaluateTest {
  private static final int C = 1000;
  private static final int D = 2048;
  private static final int TRAIN = 3000;
  private static final int VAL_LIMIT = 400;

  @TempDir
  static Path tmp;
  private static SparkSession spark;
  private static LinearHead head;
  private static String cache;

  @BeforeAll
  static void makeCache() {
    spark = SparkTestSession.get();
    head = SyntheticCache.head(C, D, 7);
    cache = tmp.resolve("cache").toString();
    SyntheticCache.write(spark, head, List.of(
        new SyntheticCache.Set("train", SyntheticCache.Kind.ID, TRAIN),
        new SyntheticCache.Set("val-id", SyntheticCache.Kind.ID, 1200),
        new SyntheticCache.Set("val-mix", SyntheticCache.Kind.MIX, 500),
        new SyntheticCache.Set("val-far", SyntheticCache.Kind.FAR, 500),
        new SyntheticCache.Set("id-test", SyntheticCache.Kind.ID, 800),
        new SyntheticCache.Set("ood-mix", SyntheticCache.Kind.MIX, 400),
        new SyntheticCache.Set("ood-far", SyntheticCache.Kind.FAR, 400)), 7, 700, cache);
  }

  private static Dataset<Row> train() {
    return FeatureCacheJob.read(spark, cache).where("dataset = 'train'");
  }

  @Test
  void everyStageRunsAtTheHeadShapeAndTheDriverKeepsToTheValidationLimit() throws Exception {
    Sensitivity sens = SensitivityJob.fromFeatures(spark, train().repartition(3), head, 1.0, "synthetic", "none");
    // The same sums by one accumulation over the collected rows on this thread.
    List<Row> rows = train().select("features", "logits").collectAsList();
    float[] f = new float[rows.size() * D];
    float[] l = new float[rows.size() * C];
    for (int k = 0; k < rows.size(); k++) {
      FeatureRows.copy(rows.get(k), 0, D, f, k * D);
      FeatureRows.copy(rows.get(k), 1, C, l, k * C);
    }
    Sensitivity direct = new SensitivityAccumulator(C, D, 1.0).add(f, l, rows.size(), head.weight())
        .result("synthetic", "none");
    assertEquals(TRAIN, sens.count());
    assertTrue(direct.maxRelativeDifference(sens) <= 1e-12, "distributed vs direct: " + direct.maxRelativeDifference(sens));

    Path out = tmp.resolve("out");
    EvaluateJob.Roles roles = new EvaluateJob.Roles("train", "val-id", List.of("val-mix", "val-far"), "id-test",
        List.of("ood-mix", "ood-far"), 1000, VAL_LIMIT);
    StageTimes times = new StageTimes();
    OodReport report = EvaluateJob.on(spark, sens, head, cache).roles(roles).grid(PlanSweep.defaultGrid())
        .output(out.toString(), false).times(times).execute().report();

    List<String> stages = times.stages().stream().map(StageTimes.Stage::name).toList();
    for (String s : List.of("training statistics", "ReAct percentiles", "ViM principal space (eigen-decomposition)",
        "ViM residuals", "KNN bank", "validation features to the driver", "OPNP plan sweep", "validation scoring",
        "test scoring", "metrics, plots")) {
      assertTrue(stages.contains(s), s + " missing from " + stages);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> validation = (Map<String, Object>) report.extra().get("validation");
    // Each side at most --val-limit rows: 500 per proxy and ~600 per half of val-id exist.
    assertEquals(Map.of("val-mix", VAL_LIMIT, "val-far", VAL_LIMIT), validation.get("proxies"));
    assertEquals(VAL_LIMIT, validation.get("id_count"));
    assertEquals(VAL_LIMIT, validation.get("calibration_id_count"));
    assertEquals("grid", validation.get("sweep_mode"));  // fast enough at this size to search the whole grid
    assertTrue((Integer) validation.get("plans_evaluated") > 300, validation.toString());
    assertTrue(report.extra().containsKey("stage_seconds"));
    assertTrue(Files.exists(out.resolve("metrics.json")) && Files.exists(out.resolve("report.md")));
    assertTrue(Files.readString(out.resolve("metrics.json")).contains("\"stage_seconds\""));
    String md = Files.readString(out.resolve("report.md"));
    assertTrue(md.contains("at most `--val-limit` 400 per side") && md.contains("## Stage times"), md);
    // Neither trivial nor hopeless: energy separates the synthetic OOD sets from ID, imperfectly.
    for (MethodResult r : report.results()) {
      if (r.method().equals("energy")) {
        assertTrue(r.metrics().auroc() > 0.6 && r.metrics().auroc() < 0.995, r.toString());
      }
    }
  }

  @Test
  void reactPercentilesAreExactlyNumpysOverEveryTrainingActivation() {
    double[] percents = {80, 90, 99};
    io.opnp.methods.FittedState fit = TrainingFit.run(JavaSparkContext.fromSparkContext(spark.sparkContext()),
        train().select("id", "features", "logits", "label").repartition(4), head, percents, 10, new StageTimes());
    List<Row> rows = train().select("features").collectAsList();
    double[] all = new double[rows.size() * D];
    for (int k = 0; k < rows.size(); k++) {
      FeatureRows.copy(rows.get(k), 0, D, all, k * D);
    }
    Arrays.sort(all);
    for (int i = 0; i < percents.length; i++) {
      double r = percents[i] / 100.0 * (all.length - 1);
      int lo = (int) Math.floor(r);
      double want = all[lo] + (r - lo) * (all[lo + 1] - all[lo]);
      assertEquals(want, fit.reactThreshold(percents[i]), 0.0, "percentile " + percents[i]);
    }
  }
}
