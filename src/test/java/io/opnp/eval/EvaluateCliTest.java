package io.opnp.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.cli.OpnpCli;
import io.opnp.io.SensitivityStore;
import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import io.opnp.math.OodMetrics;
import io.opnp.math.PruningPercentages;
import io.opnp.math.PruningPlan;
import io.opnp.math.Sensitivity;
import io.opnp.methods.OodMethods;
import io.opnp.model.HeadReader;
import io.opnp.model.LoadedModels;
import io.opnp.spark.FeatureCacheJob;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.evaluation.BinaryClassificationMetrics;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;
import org.junit.jupiter.api.Tag;

/**
 * The evaluate command on real data: every method for every OOD set, the plan chosen on the
 * validation split (checked by recomputing the validation AUROC), calibration, plots and report;
 * and the metrics against Spark MLlib's BinaryClassificationMetrics on the same scores.
 */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class EvaluateCliTest {
  @TempDir
  static Path tmp;

  private static SparkSession spark;
  private static Path out;
  private static JsonNode metrics;
  private static Path sens;

  private static void cli(String... args) {
    StringWriter err = new StringWriter();
    assertEquals(0, OpnpCli.run(new PrintWriter(err, true), args), String.join(" ", args) + "\n" + err);
  }

  @BeforeAll
  static void evaluate() throws Exception {
    spark = SparkTestSession.get();
    String model = TestData.demoModel().toString();
    Path data = tmp.resolve("data");
    cli("prepare-demo-data", "--master", "local[2]", "--mnist-package", TestData.mnistPackage().toString(),
        "--fashion-mnist", TestData.fashionMnist().toString(), "--output", data.toString(), "--noise-count", "400");
    sens = tmp.resolve("sens");
    String train = "tr=idx:" + TestData.fashionTrainImages();
    cli("sensitivity", "--master", "local[2]", "--model", model, "--limit", "3000", "--train", train, "--output",
        sens.toString());
    out = tmp.resolve("out");
    // No --sensitivity: the one model pass computes it along with the feature cache.
    cli("evaluate", "--master", "local[2]", "--model", model, "--train", train,
        "--train-limit", "3000", "--limit", "800",
        "--val-id", "val-id=parquet:" + data.resolve("val-id"), "--val-ood", "val-ood=parquet:" + data.resolve("val-ood"),
        "--id-test", "fm=idx:" + TestData.fashionTestImages(), "--ood", "mnist=parquet:" + data.resolve("mnist"),
        "--ood", "noise=folder:" + data.resolve("noise"), "--output", out.toString());
    metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
  }

  @Test
  void metricsHaveEveryMethodForEveryOodSetAndTheValidationPlan() {
    Set<String> rows = new HashSet<>();
    for (JsonNode r : metrics.get("results")) {
      rows.add(r.get("method").asText() + "/" + r.get("ood_dataset").asText());
      assertTrue(r.get("auroc").asDouble() >= 0 && r.get("auroc").asDouble() <= 1);
    }
    assertEquals(OodMethods.NAMES.size() * 2, rows.size());
    for (String m : OodMethods.NAMES) {
      assertTrue(rows.contains(m + "/mnist") && rows.contains(m + "/noise"), m);
    }
    assertEquals("validation", metrics.get("plan_source").asText());
    assertEquals(7 * 4 * 6 * 3, metrics.get("validation").get("plans_evaluated").asInt());
    double ece = metrics.get("calibration").get("ece_original").asDouble();
    assertTrue(ece > 0 && ece < 0.5, "ece " + ece);
  }

  @Test
  void chosenPlanIsTheBestOnTheValidationSplit() throws Exception {
    // Recompute the validation AUROC of the chosen plan and of the unpruned head from the cached features.
    Sensitivity s = SensitivityStore.load(spark, sens.toString());
    LinearHead head = HeadReader.read(LoadedModels.get(TestData.demoModel(), ai.djl.Device.cpu()), "fc.weight", "fc.bias");
    JsonNode plan = metrics.get("plan");
    PruningPercentages chosen = new PruningPercentages(plan.get("rho_w_max").asDouble(), plan.get("rho_w_min").asDouble(),
        plan.get("rho_o_max").asDouble(), plan.get("rho_o_min").asDouble());
    // ID: the selection half of val-id (by id); OOD: the given val-ood and the five proxies made from that half.
    double[][] valId = features("val-id", io.opnp.data.ValidationSplit::forSelection);
    List<double[][]> proxies = new java.util.ArrayList<>();
    proxies.add(features("val-ood", id -> true));
    for (io.opnp.data.ValidationProxy p : io.opnp.data.ValidationProxy.values()) {
      proxies.add(features(p.datasetName("val-id"), id -> true));
      assertTrue(proxies.get(proxies.size() - 1).length > 300, p + " has too few images");
    }
    assertEquals(valId.length, proxies.get(1).length);
    double chosenMean = meanAuroc(head.pruned(PruningPlan.of(s, chosen)), valId, proxies);
    assertEquals(metrics.get("validation").get("chosen_criterion").asDouble(), chosenMean, 1e-9);
    // Every plan of the grid, recomputed here with per-sample loops: none beats the chosen one.
    int evaluated = 0;
    for (PruningPercentages p : PlanSweep.grid(PlanSweep.RHO_W_MAX, PlanSweep.RHO_W_MIN, PlanSweep.RHO_O_MAX,
        PlanSweep.RHO_O_MIN)) {
      double a;
      try {
        a = meanAuroc(head.pruned(PruningPlan.of(s, p)), valId, proxies);
      } catch (IllegalArgumentException removesEverything) {
        continue;
      }
      evaluated++;
      assertTrue(a <= chosenMean + 1e-12, p + " has mean validation AUROC " + a + " > chosen " + chosenMean);
    }
    assertEquals(metrics.get("validation").get("plans_evaluated").asInt(), evaluated);
  }

  @Test
  void reusingTheFeatureCacheGivesTheSameNumbers() throws Exception {
    Path other = tmp.resolve("other");
    cli("evaluate", "--master", "local[2]", "--model", TestData.demoModel().toString(), "--sensitivity", sens.toString(),
        "--train", "tr=idx:" + TestData.fashionTrainImages(), "--train-limit", "3000", "--limit", "800",
        "--features", out.resolve("features").toString(), "--reuse-features",
        "--val-id", "val-id=parquet:" + tmp.resolve("data/val-id"), "--val-ood", "val-ood=parquet:" + tmp.resolve("data/val-ood"),
        "--id-test", "fm=idx:" + TestData.fashionTestImages(), "--ood", "mnist=parquet:" + tmp.resolve("data/mnist"),
        "--ood", "noise=folder:" + tmp.resolve("data/noise"), "--output", other.toString());
    JsonNode again = new ObjectMapper().readTree(other.resolve("metrics.json").toFile());
    assertEquals(metrics.get("plan"), again.get("plan"));
    assertEquals(metrics.get("results"), again.get("results"));  // from the cache alone, the same numbers
  }

  @Test
  void theRecommendationFusesTheLeadersOfTwoFamiliesByTheirWorstProxyAndChooseBestTakesTheFirstRanked()
      throws Exception {
    JsonNode rec = metrics.get("recommendation");
    assertEquals("fusion", rec.get("method").asText());
    assertEquals("fusion", rec.get("choice_rule").asText());
    // The members, recomputed from the ranking metrics.json shows: down the configurations by their worst AUROC on
    // the user's own OOD sets (here val-ood; the proxies only when none is given), then the mean, the first of each
    // new method family.
    JsonNode rankedOn = metrics.get("fusion_members").get("ranked_on_worst_of");
    assertEquals(1, rankedOn.size());
    assertEquals("val-ood", rankedOn.get(0).asText());
    List<JsonNode> singles = new java.util.ArrayList<>();
    rec.get("ranking").forEach(r -> {
      if (!r.get("detector").asText().startsWith("fusion(")) {
        singles.add(r);
      }
    });
    java.util.function.ToDoubleFunction<JsonNode> worst = r -> {
      double w = 1;
      for (JsonNode set : rankedOn) {
        w = Math.min(w, r.get("proxies").get(set.asText()).get("auroc").asDouble());
      }
      return w;
    };
    singles.sort(java.util.Comparator.comparingDouble(worst).reversed()
        .thenComparing(java.util.Comparator.comparingDouble((JsonNode r) -> r.get("criterion_auroc").asDouble())
            .reversed()));
    List<String> expected = new java.util.ArrayList<>();
    Set<io.opnp.methods.Method.Family> families = new HashSet<>();
    for (JsonNode r : singles) {
      String label = r.get("detector").asText();
      if (expected.size() < io.opnp.decision.ChoiceRule.FAMILIES && families.add(io.opnp.methods.Method.parse(label.split("\\(")[0]).family())) {
        expected.add(label);
      }
    }
    // Each member is its family's leader, or that leader's method at the defaults where the bootstrap tied them.
    JsonNode members = metrics.get("fusion_members").get("members");
    List<String> actual = new java.util.ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      JsonNode m = members.get(i);
      assertEquals(expected.get(i), m.get("family_leader").asText());
      String member = m.get("member").asText();
      assertEquals(!member.equals(expected.get(i)), m.get("at_defaults_in_its_place").asBoolean(), member);
      assertEquals(expected.get(i).split("\\(")[0], member.split("\\(")[0]);
      actual.add(member);
    }
    assertEquals("fusion(" + String.join(" + ", actual) + ")", rec.get("label").asText());
    assertEquals(2, rec.get("parameters").get("members").size());
    // The recommended detector's test figures are the fusion column's: one spec, scored once per row.
    double fusionMean = 0;
    int n = 0;
    for (JsonNode r : metrics.get("results")) {
      if (r.get("method").asText().equals("fusion")) {
        fusionMean += r.get("auroc").asDouble();
        n++;
      }
    }
    assertEquals(2, n);
    assertEquals(fusionMean / n, rec.get("test_average_auroc").asDouble(), 1e-12);

    Path best = tmp.resolve("choose-best");
    cli("evaluate", "--master", "local[2]", "--model", TestData.demoModel().toString(), "--sensitivity", sens.toString(),
        "--train", "tr=idx:" + TestData.fashionTrainImages(), "--train-limit", "3000", "--limit", "800",
        "--features", out.resolve("features").toString(), "--reuse-features", "--choose", "best",
        "--val-id", "val-id=parquet:" + tmp.resolve("data/val-id"), "--val-ood", "val-ood=parquet:" + tmp.resolve("data/val-ood"),
        "--id-test", "fm=idx:" + TestData.fashionTestImages(), "--ood", "mnist=parquet:" + tmp.resolve("data/mnist"),
        "--ood", "noise=folder:" + tmp.resolve("data/noise"), "--output", best.toString());
    JsonNode bestRec = new ObjectMapper().readTree(best.resolve("metrics.json").toFile()).get("recommendation");
    assertEquals("best", bestRec.get("choice_rule").asText());
    assertEquals(bestRec.get("ranking").get(0).get("detector").asText(), bestRec.get("label").asText());
    assertTrue(bestRec.get("ranking").findValues("detector").stream().noneMatch(d -> d.asText().startsWith("fusion")),
        "under --choose best the fusion is not ranked");
    JsonNode detector = new ObjectMapper().readTree(best.resolve("detector/detector.json").toFile());
    assertEquals(bestRec.get("method").asText(), detector.get("method").asText());
  }

  @Test
  void trainingImagesOfFewClassesLeaveTheClassFittedMethodsOutOfTheRecommendation() throws Exception {
    // Training images of 3 of the demo classifier's 10 classes: a distance to them calls the other 7 classes OOD.
    Path train3 = tmp.resolve("train-3-classes");
    spark.read().parquet(tmp.resolve("data/val-id").toString()).where("label < 3").write()
        .parquet(train3.toString());
    Path few = tmp.resolve("few-classes");
    String[] common = {"--master", "local[2]", "--model", TestData.demoModel().toString(), "--sensitivity",
        sens.toString(), "--train", "tr3=parquet:" + train3, "--limit", "400",
        "--val-id", "val-id=parquet:" + tmp.resolve("data/val-id"), "--val-ood", "val-ood=parquet:"
        + tmp.resolve("data/val-ood"), "--id-test", "fm=idx:" + TestData.fashionTestImages(),
        "--ood", "mnist=parquet:" + tmp.resolve("data/mnist"), "--features", few.resolve("features").toString()};
    cli(concat("evaluate", common, "--output", few.toString()));
    JsonNode m = new ObjectMapper().readTree(few.resolve("metrics.json").toFile());
    JsonNode cov = m.get("class_coverage");
    assertEquals(3, cov.get("training_classes").asInt());
    assertEquals(10, cov.get("classifier_classes").asInt());
    List<String> leftOut = new java.util.ArrayList<>();
    cov.get("left_out_of_recommendation").forEach(x -> leftOut.add(x.asText()));
    List<String> distance = java.util.Arrays.stream(io.opnp.methods.Method.values())
        .filter(x -> x.family().fitsTrainingClasses()).map(io.opnp.methods.Method::key).toList();
    assertEquals(distance, leftOut);
    assertTrue(leftOut.containsAll(List.of("mahalanobis", "knn", "vim", "klm")), leftOut.toString());
    JsonNode rec = m.get("recommendation");
    rec.get("ranking").forEach(r -> {
      for (String part : r.get("detector").asText().replace("fusion(", "").split(" \\+ ")) {
        assertFalse(leftOut.contains(part.split("\\(")[0]), "ranked although left out: " + part);
      }
    });
    assertTrue(rec.get("why").asText().contains("3 of the classifier's 10 classes"), rec.get("why").asText());
    // Still scored on the test sets: left out of the choice only.
    assertTrue(m.findValues("method").stream().anyMatch(x -> x.asText().equals("mahalanobis")));

    // --min-class-coverage 0: the user's ID data is only these classes, and the distances compete again.
    Path all = tmp.resolve("few-classes-allowed");
    cli(concat("evaluate", common, "--reuse-features", "--min-class-coverage", "0", "--output", all.toString()));
    JsonNode m0 = new ObjectMapper().readTree(all.resolve("metrics.json").toFile());
    assertEquals(0, m0.get("class_coverage").get("left_out_of_recommendation").size());
    assertTrue(m0.get("recommendation").get("ranking").findValues("detector").stream()
        .anyMatch(d -> d.asText().startsWith("mahalanobis")));
  }

  private static String[] concat(String first, String[] middle, String... last) {
    List<String> a = new java.util.ArrayList<>(List.of(first));
    a.addAll(List.of(middle));
    a.addAll(List.of(last));
    return a.toArray(new String[0]);
  }

  @Test
  void theOnePassSensitivityEqualsTheSensitivityJobs() {
    Sensitivity separate = SensitivityStore.load(spark, sens.toString());
    Sensitivity fused = SensitivityStore.load(spark, out.resolve("sensitivity").toString());
    assertEquals(3000, fused.count());
    assertTrue(separate.maxRelativeDifference(fused) <= 1e-12, "separate vs one pass: "
        + separate.maxRelativeDifference(fused));
    assertEquals(separate.modelSha256(), fused.modelSha256());
  }

  @Test
  void sensitivityFromTheFeatureCacheEqualsTheOneFromImages() {
    Path fromCache = tmp.resolve("sens-from-cache");
    cli("sensitivity", "--master", "local[2]", "--model", TestData.demoModel().toString(), "--from-features",
        out.resolve("features").toString(), "--dataset", "tr", "--output", fromCache.toString());
    Sensitivity a = SensitivityStore.load(spark, sens.toString());
    Sensitivity b = SensitivityStore.load(spark, fromCache.toString());
    assertEquals(3000, b.count());
    assertTrue(a.maxRelativeDifference(b) <= 1e-12, "images vs cache: " + a.maxRelativeDifference(b));
    assertEquals(a.modelSha256(), b.modelSha256());
  }

  @Test
  void scoringFromTheFeatureCacheGivesTheScoresOfTheImages() throws Exception {
    String model = TestData.demoModel().toString();
    String[] plan = {"--rho-w-max", "2", "--rho-w-min", "10", "--rho-o-max", "10", "--rho-o-min", "0"};
    Path fromImages = tmp.resolve("score-images");
    Path fromCache = tmp.resolve("score-cache");
    java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("score", "--master", "local[2]", "--model",
        model, "--sensitivity", sens.toString(), "--limit", "800", "--id-test", "fm=idx:" + TestData.fashionTestImages(),
        "--ood", "mnist=parquet:" + tmp.resolve("data/mnist"), "--ood", "noise=folder:" + tmp.resolve("data/noise"),
        "--output", fromImages.toString()));
    a.addAll(java.util.List.of(plan));
    cli(a.toArray(String[]::new));
    java.util.List<String> b = new java.util.ArrayList<>(java.util.List.of("score", "--master", "local[2]", "--model",
        model, "--sensitivity", sens.toString(), "--from-features", out.resolve("features").toString(),
        "--id-test", "fm", "--ood", "mnist", "--ood", "noise", "--output", fromCache.toString()));
    b.addAll(java.util.List.of(plan));
    cli(b.toArray(String[]::new));
    var x = spark.read().parquet(fromImages.resolve("scores").toString()).selectExpr("id", "dataset", "energy as e1",
        "opnp as o1", "pred as p1", "opnp_pred as q1");
    var y = spark.read().parquet(fromCache.resolve("scores").toString()).selectExpr("id", "dataset", "energy as e2",
        "opnp as o2", "pred as p2", "opnp_pred as q2");
    var joined = x.join(y, new scala.collection.immutable.Set.Set2<>("id", "dataset").toSeq());
    assertEquals(800 + 800 + 400, joined.count());
    assertEquals(x.count(), joined.count());
    assertEquals(y.count(), joined.count());
    Row worst = joined.selectExpr("max(abs(e1 - e2))", "max(abs(o1 - o2))", "sum(cast(p1 != p2 as int))",
        "sum(cast(q1 != q2 as int))", "max(abs(o1 - e1))").first();
    assertTrue(worst.getDouble(0) <= 1e-9 && worst.getDouble(1) <= 1e-9, "score differences " + worst);
    assertEquals(0L, worst.getLong(2));
    assertEquals(0L, worst.getLong(3));
    assertTrue(worst.getDouble(4) > 1e-3, "the plan pruned nothing?");  // a real plan, not the unpruned head
    JsonNode m1 = new ObjectMapper().readTree(fromImages.resolve("metrics.json").toFile());
    JsonNode m2 = new ObjectMapper().readTree(fromCache.resolve("metrics.json").toFile());
    assertEquals(m1.get("plan"), m2.get("plan"));
    for (int i = 0; i < m1.get("results").size(); i++) {
      for (String f : java.util.List.of("auroc", "fpr95", "aupr_in", "aupr_out")) {
        assertEquals(m1.get("results").get(i).get(f).asDouble(), m2.get("results").get(i).get(f).asDouble(), 1e-12,
            f + " of " + m1.get("results").get(i));
      }
    }
  }

  @Test
  void thePlanDoesNotDependOnTheTestOodSets() throws Exception {
    Path other = tmp.resolve("only-noise");
    cli("evaluate", "--master", "local[2]", "--model", TestData.demoModel().toString(), "--sensitivity", sens.toString(),
        "--train", "tr=idx:" + TestData.fashionTrainImages(), "--train-limit", "3000", "--limit", "800",

        "--val-id", "val-id=parquet:" + tmp.resolve("data/val-id"), "--val-ood", "val-ood=parquet:" + tmp.resolve("data/val-ood"),
        "--id-test", "fm=idx:" + TestData.fashionTestImages(), "--ood", "noise=folder:" + tmp.resolve("data/noise"),
        "--output", other.toString());
    JsonNode again = new ObjectMapper().readTree(other.resolve("metrics.json").toFile());
    assertEquals(metrics.get("plan"), again.get("plan"));
  }

  @Test
  void reportLinksEveryPlotAndThePlotsAreImages() throws Exception {
    String report = Files.readString(out.resolve("report.md"));
    Matcher m = Pattern.compile("\\(plots/([^)]+\\.png)\\)").matcher(report);
    Set<String> linked = new HashSet<>();
    while (m.find()) {
      linked.add(m.group(1));
    }
    assertTrue(linked.size() >= 10, linked.toString());
    for (String png : linked) {
      Path p = out.resolve("plots").resolve(png);
      assertTrue(Files.isRegularFile(p), "missing " + p);
      assertTrue(ImageIO.read(p.toFile()).getWidth() > 100, png);
    }
    assertTrue(report.contains("| opnp_ash |"), report);
  }

  @Test
  void aurocAndAuprMatchSparkMllibOnTheSameScores() {
    List<Row> rows = spark.read().parquet(out.resolve("scores-all").toString()).select("dataset", "energy").collectAsList();
    for (JsonNode r : metrics.get("results")) {
      if (!r.get("method").asText().equals("energy")) {
        continue;
      }
      String ood = r.get("ood_dataset").asText();
      List<Tuple2<Object, Object>> labelled = rows.stream()
          .filter(x -> x.getString(0).equals("fm") || x.getString(0).equals(ood))
          .map(x -> new Tuple2<Object, Object>(x.getDouble(1), x.getString(0).equals("fm") ? 1.0 : 0.0)).toList();
      JavaRDD<Tuple2<Object, Object>> rdd = new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext())
          .parallelize(labelled, 3);
      BinaryClassificationMetrics mllib = new BinaryClassificationMetrics(rdd.rdd());
      assertEquals(mllib.areaUnderROC(), r.get("auroc").asDouble(), 1e-9, "AUROC vs MLlib for " + ood);
      // MLlib's PR curve starts at (0, p₁), scikit-learn's (ours) at (0, 1): they differ by r₁(1 − p₁)/2 exactly.
      Tuple2<Object, Object> first = mllib.pr().toJavaRDD().take(2).get(1);
      double r1 = (Double) first._1();
      double p1 = (Double) first._2();
      assertEquals(mllib.areaUnderPR() + r1 * (1 - p1) / 2, r.get("aupr_in").asDouble(), 1e-9, "AUPR-In vs MLlib");
      mllib.unpersist();
    }
  }

  @Test
  void knnAtTheDefaultSettingsEqualsABruteForceSearchOfTheWholeTrainingSet() {
    // The default bank is every training row (3,000 here), k = 50, as the KNN paper and OpenOOD use it.
    JsonNode bank = metrics.path("knn_bank");
    assertEquals(3000, bank.path("rows").asInt(), bank.toString());
    assertEquals(false, bank.path("sampled").asBoolean());
    double[][] train = features("tr", id -> true);
    assertEquals(3000, train.length);
    double[][] z = new double[train.length][];
    for (int i = 0; i < train.length; i++) {
      z[i] = unit(train[i]);
    }
    java.util.Map<String, double[]> test = new java.util.HashMap<>();
    for (Row r : FeatureCacheJob.read(spark, out.resolve("features").toString())
        .where(org.apache.spark.sql.functions.col("dataset").isin("fm", "mnist")).select("id", "dataset", "features")
        .collectAsList()) {
      List<Float> h = r.getList(2);
      test.put(r.getString(1) + "/" + r.getString(0), h.stream().mapToDouble(Float::doubleValue).toArray());
    }
    List<Row> scored = spark.read().parquet(out.resolve("scores-all").toString())
        .where(org.apache.spark.sql.functions.col("dataset").isin("fm", "mnist")).select("id", "dataset", "knn")
        .collectAsList();
    assertEquals(1600, scored.size());
    for (Row r : scored) {
      double[] q = unit(test.get(r.getString(1) + "/" + r.getString(0)));
      double[] d = new double[z.length];
      for (int i = 0; i < z.length; i++) {
        double s = 0;
        for (int j = 0; j < q.length; j++) {
          s += (q[j] - z[i][j]) * (q[j] - z[i][j]);
        }
        d[i] = Math.sqrt(s);
      }
      java.util.Arrays.sort(d);
      assertEquals(-d[io.opnp.methods.Knn.DEFAULT_K - 1], r.getDouble(2), io.opnp.methods.TopK.FLOAT32_DISTANCE_TOLERANCE,
          "knn score of " + r);
    }
  }

  private static double[] unit(double[] h) {
    double n = 0;
    for (double v : h) {
      n += v * v;
    }
    double scale = 1 / (Math.sqrt(n) + 1e-10);
    double[] z = new double[h.length];
    for (int j = 0; j < h.length; j++) {
      z[j] = h[j] * scale;
    }
    return z;
  }

  private static double[][] features(String dataset, java.util.function.Predicate<String> keepId) {
    List<Row> rows = FeatureCacheJob.read(spark, out.resolve("features").toString())
        .where(org.apache.spark.sql.functions.col("dataset").equalTo(dataset)).select("id", "features")
        .collectAsList().stream().filter(r -> keepId.test(r.getString(0))).toList();
    double[][] f = new double[rows.size()][];
    for (int k = 0; k < f.length; k++) {
      List<Float> h = rows.get(k).getList(1);
      f[k] = h.stream().mapToDouble(Float::doubleValue).toArray();
    }
    return f;
  }

  /**
   * The validation criterion: the weighted mean AUROC, the user's own OOD set (the first) counting as much as the
   * made proxies (the others) together.
   */
  private static double meanAuroc(LinearHead head, double[][] id, List<double[][]> oods) {
    double proxies = oods.size() - 1;
    double sum = proxies * auroc(head, id, oods.get(0));
    for (double[][] o : oods.subList(1, oods.size())) {
      sum += auroc(head, id, o);
    }
    return sum / (2 * proxies);
  }

  private static double auroc(LinearHead head, double[][] id, double[][] ood) {
    return OodMetrics.of(energy(head, id), energy(head, ood)).auroc();
  }

  private static double[] energy(LinearHead head, double[][] f) {
    double[] out = new double[f.length];
    double[] logits = new double[head.classes()];
    for (int k = 0; k < f.length; k++) {
      head.logits(f[k], 1, logits);
      out[k] = Energy.score(logits, 0, head.classes(), 1.0);
    }
    return out;
  }
}
