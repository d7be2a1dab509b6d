package opnp_spark.ml;

import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.BadInputException;
import io.opnp.cli.OpnpCli;
import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.spark.AppendDetection;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OodDetector} fitted on DataFrames of the quickstart's data makes the decision
 * {@code opnp evaluate} makes on the same rows: the same detector.json (method, hyper-parameters,
 * threshold and its interval, state), and its model flags new images with the same scores, bit for
 * bit; a Pipeline holding it round-trips through save and load.
 */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class OodDetectorTest {
  private static final int TRAIN = 2000;
  private static final int LIMIT = 600;
  @TempDir
  static Path tmp;
  private static SparkSession spark;
  private static Path evaluated;
  private static Dataset<Row> images;
  private static OodDetector estimator;
  private static OodDetectorModel fitted;
  private static Dataset<Row> incoming;
  private static Path data;

  private static void cli(String... args) {
    StringWriter err = new StringWriter();
    assertEquals(0, OpnpCli.run(new PrintWriter(err, true), args), String.join(" ", args) + "\n" + err);
  }

  @BeforeAll
  static void evaluateAndFit() {
    spark = SparkTestSession.get();
    String model = TestData.demoModel().toString();
    data = tmp.resolve("data");
    cli("prepare-demo-data", "--master", "local[2]", "--mnist-package", TestData.mnistPackage().toString(),
        "--fashion-mnist", TestData.fashionMnist().toString(), "--output", data.toString(), "--noise-count", "300");
    String train = "train=idx:" + TestData.fashionTrainImages();
    String valId = "val-id=parquet:" + data.resolve("val-id");
    evaluated = tmp.resolve("evaluate");
    cli("evaluate", "--master", "local[2]", "--model", model, "--batch-size", "128", "--train", train,
        "--train-limit", String.valueOf(TRAIN), "--limit", String.valueOf(LIMIT), "--val-id", valId,
        "--id-test", "fm=idx:" + TestData.fashionTestImages(), "--ood", "mnist=parquet:" + data.resolve("mnist"),
        "--output", evaluated.toString());
    // The same rows as one DataFrame, the held-out ones marked as MLlib marks validation rows.
    images = DatasetReader.read(spark, DatasetSpec.parse(train), TRAIN, 0).withColumn("held_out", lit(false))
        .unionByName(DatasetReader.read(spark, DatasetSpec.parse(valId), LIMIT, 0).withColumn("held_out", lit(true)))
        .drop("dataset");
    estimator = new OodDetector().setModelPath(model).setBatchSize(128).setValidationIndicatorCol("held_out")
        .setWorkDir(tmp.resolve("work").toString());
    fitted = estimator.fit(images);
    incoming = DatasetReader.read(spark, DatasetSpec.parse("fm=idx:" + TestData.fashionTestImages()), 300, 0)
        .unionByName(DatasetReader.read(spark, DatasetSpec.parse("mnist=parquet:" + data.resolve("mnist")), 300, 0));
  }

  private static Map<String, Row> byId(Dataset<Row> scored) {
    Map<String, Row> m = new HashMap<>();
    for (Row r : scored.select("id", AppendDetection.SCORE, AppendDetection.PVALUE, AppendDetection.IS_OOD,
        AppendDetection.PREDICTION).collectAsList()) {
      m.put(r.getString(0), r);
    }
    return m;
  }

  private static void assertSameScores(Dataset<Row> expected, Dataset<Row> actual) {
    Map<String, Row> a = byId(expected);
    Map<String, Row> b = byId(actual);
    assertEquals(600, a.size());
    assertEquals(a.keySet(), b.keySet());
    for (Map.Entry<String, Row> e : a.entrySet()) {
      Row x = e.getValue();
      Row y = b.get(e.getKey());
      assertEquals(Double.doubleToRawLongBits(x.getDouble(1)), Double.doubleToRawLongBits(y.getDouble(1)),
          e.getKey() + ": score " + x.getDouble(1) + " vs " + y.getDouble(1));
      for (int i = 2; i <= 4; i++) {
        assertEquals(x.get(i), y.get(i), e.getKey() + " column " + i);
      }
    }
  }

  @Test
  void fitChoosesTheDetectorEvaluateChoosesOnTheSameRows() throws Exception {
    Path saved = tmp.resolve("saved-model");
    fitted.write().save(saved.toString());
    String ours = Files.readString(saved.resolve("detector/detector.json"));
    String theirs = Files.readString(evaluated.resolve("detector/detector.json"));
    assertEquals(theirs, ours);
    assertTrue(ours.contains("\"threshold\""), ours);
  }

  @Test
  void theFittedModelFlagsNewImagesAsEvaluatesDetectorDoes() {
    OodDetectorModel fromEvaluate = OodDetectorModel.fromBundle(spark, evaluated.resolve("detector").toString())
        .setModelPath(TestData.demoModel().toString()).setBatchSize(128);
    Dataset<Row> expected = fromEvaluate.transform(incoming);
    assertSameScores(expected, fitted.transform(incoming));
    long flaggedMnist = fitted.transform(incoming).where("is_ood and dataset = 'mnist'").count();
    assertTrue(flaggedMnist > 150, "only " + flaggedMnist + " of 300 MNIST digits flagged");
  }

  @Test
  void theEvaluatorGivesThePairwiseAurocAndTheByDefinitionFpr95PerSet() {
    Dataset<Row> scored = fitted.transform(incoming).withColumn("is_ood_truth",
        org.apache.spark.sql.functions.col("dataset").notEqual("fm"));
    List<Row> rows = scored.select("dataset", AppendDetection.SCORE).collectAsList();
    double[] id = rows.stream().filter(r -> r.getString(0).equals("fm")).mapToDouble(r -> r.getDouble(1)).toArray();
    double[] ood = rows.stream().filter(r -> r.getString(0).equals("mnist")).mapToDouble(r -> r.getDouble(1)).toArray();
    double pairs = 0;
    for (double a : id) {
      for (double b : ood) {
        pairs += a > b ? 1 : a == b ? 0.5 : 0;
      }
    }
    double[] sorted = id.clone();
    java.util.Arrays.sort(sorted);
    double t = sorted[id.length - (int) Math.ceil(0.95 * id.length)];
    double fpr = java.util.Arrays.stream(ood).filter(v -> v >= t).count() / (double) ood.length;
    OodEvaluator auroc = new OodEvaluator();
    assertEquals(pairs / ((double) id.length * ood.length), auroc.evaluate(scored), 1e-12);
    assertTrue(auroc.isLargerBetter());
    OodEvaluator fpr95 = new OodEvaluator().setMetricName("fpr95");
    assertEquals(fpr, fpr95.evaluate(scored), 1e-12);
    assertTrue(!fpr95.isLargerBetter());
    Map<String, Map<String, Double>> table = auroc.evaluateBySet(scored);
    assertEquals(java.util.Set.of("mnist"), table.keySet());
    assertEquals(auroc.evaluate(scored), table.get("mnist").get("auroc"), 0);
    BadInputException noTruth = assertThrows(BadInputException.class, () -> auroc.evaluate(fitted.transform(incoming)));
    assertTrue(noTruth.getMessage().contains("oodIndicatorCol 'is_ood_truth' is not a column"), noTruth.getMessage());
  }

  @Test
  void aPipelineWithTheDetectorRoundTripsThroughSaveAndLoad() throws Exception {
    OodDetector copy = estimator.copy(new org.apache.spark.ml.param.ParamMap());
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {copy});
    Path unfitted = tmp.resolve("pipeline");
    pipeline.write().overwrite().save(unfitted.toString());
    Pipeline reloadedPipeline = Pipeline.load(unfitted.toString());
    OodDetector reloadedEstimator = (OodDetector) reloadedPipeline.getStages()[0];
    assertEquals("held_out", reloadedEstimator.getOrDefault(reloadedEstimator.validationIndicatorCol()));
    assertEquals(128, (int) (Integer) reloadedEstimator.getOrDefault(reloadedEstimator.batchSize()));

    PipelineModel model = reloadedPipeline.fit(images);
    Path saved = tmp.resolve("pipeline-model");
    model.write().overwrite().save(saved.toString());
    PipelineModel loaded = PipelineModel.load(saved.toString());
    assertEquals(OodDetectorModel.class, loaded.stages()[0].getClass());
    assertSameScores(fitted.transform(incoming), loaded.transform(incoming));
  }

  @Test
  void aFitFromTheModelsOwnFeaturesChoosesAsAFitFromTheImagesAndLeavesNothingInTheWorkDir() throws Exception {
    String model = TestData.demoModel().toString();
    Path work = tmp.resolve("work-features");
    Dataset<Row> mnist = DatasetReader.read(spark, DatasetSpec.parse("mnist=parquet:" + data.resolve("mnist")), LIMIT,
        0).drop("dataset").withColumn("held_out", lit(false)).withColumn("ood", lit(true));
    OodDetectorModel fromImages = new OodDetector().setModelPath(model).setBatchSize(128)
        .setValidationIndicatorCol("held_out").setOodIndicatorCol("ood").setProxies("").setWorkDir(work.toString())
        .fit(images.withColumn("ood", lit(false)).unionByName(mnist));
    // The same rows' features and logits, as evaluate cached them: the model is not run over the images again.
    org.apache.spark.sql.Column role = org.apache.spark.sql.functions.col("dataset");
    Dataset<Row> cached = spark.read().parquet(evaluated.resolve("features").toString())
        .where(role.isin("train", "val-id", "mnist"))
        .withColumn("held_out", role.equalTo("val-id")).withColumn("ood", role.equalTo("mnist"));
    OodDetectorModel fromFeatures = new OodDetector().setModelPath(model).setValidationIndicatorCol("held_out")
        .setOodIndicatorCol("ood").setFeaturesCol("features").setLogitsCol("logits").setWorkDir(work.toString())
        .fit(cached);
    io.opnp.detect.Detector a = fromImages.detector();
    io.opnp.detect.Detector b = fromFeatures.detector();
    assertEquals(a.spec(), b.spec());
    // The sensitivity is summed from the cached float32 values instead of inside the model pass: equal to ~1e-12.
    assertEquals(a.threshold(), b.threshold(), 1e-9 * Math.max(1, Math.abs(a.threshold())));
    Map<String, Row> x = byId(fromImages.transform(incoming));
    Map<String, Row> y = byId(fromFeatures.setBatchSize(128).transform(incoming));
    assertEquals(x.keySet(), y.keySet());
    for (Map.Entry<String, Row> e : x.entrySet()) {
      double s = e.getValue().getDouble(1);
      assertEquals(s, y.get(e.getKey()).getDouble(1), 1e-9 * Math.max(1, Math.abs(s)), e.getKey());
    }
    try (var left = Files.list(work)) {
      assertEquals(List.of(), left.toList(), "fit removes its work folder");
    }
    BadInputException proxies = assertThrows(BadInputException.class, () -> new OodDetector().setModelPath(model)
        .setOodIndicatorCol("ood").setValidationIndicatorCol("held_out").setProxies("blur")
        .setFeaturesCol("features").setLogitsCol("logits").fit(cached));
    assertTrue(proxies.getMessage().contains("proxies are made from images"), proxies.getMessage());
    BadInputException width = assertThrows(BadInputException.class, () -> new OodDetector().setModelPath(model)
        .setOodIndicatorCol("ood").setValidationIndicatorCol("held_out").setFeaturesCol("logits")
        .setLogitsCol("logits").setWorkDir(work.toString()).fit(cached));
    assertTrue(width.getMessage().contains("features and") && width.getMessage().contains("the model's head is"),
        width.getMessage());
  }

  @Test
  void badColumnsAreRefusedNamingTheColumnAndTheFix() {
    BadInputException notBoolean = assertThrows(BadInputException.class,
        () -> new OodDetector().setModelPath(TestData.demoModel().toString()).setValidationIndicatorCol("label")
            .fit(images));
    assertTrue(notBoolean.getMessage().contains("validationIndicatorCol 'label' must name a boolean column"),
        notBoolean.getMessage());
    BadInputException noImage = assertThrows(BadInputException.class,
        () -> new OodDetector().setImageCol("picture").fit(images));
    assertTrue(noImage.getMessage().contains("no image column 'picture'") && noImage.getMessage().contains("set imageCol"),
        noImage.getMessage());
    BadInputException noOod = assertThrows(BadInputException.class,
        () -> new OodDetector().setModelPath(TestData.demoModel().toString()).setProxies("").fit(images));
    assertTrue(noOod.getMessage().contains("setOodIndicatorCol"), noOod.getMessage());
  }

  @Test
  void withoutAnIndicatorAHashOfTheIdHoldsOutTheFractionAskedWhateverThePartitioning() {
    OodDetector split = new OodDetector().setValidationFraction(0.2).setSeed(7);
    org.apache.spark.sql.Column held = split.heldOut(images);
    List<String> a = images.where(held).select("id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    List<String> b = images.repartition(7).where(held).select("id").as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList();
    assertEquals(new java.util.TreeSet<>(a), new java.util.TreeSet<>(b));
    int n = TRAIN + LIMIT;
    double share = a.size() / (double) n;
    // a fifth, within 4 binomial standard deviations
    assertEquals(0.2, share, 4 * Math.sqrt(0.2 * 0.8 / n), a.size() + " of " + n + " held out");
    OodDetector otherSeed = new OodDetector().setValidationFraction(0.2).setSeed(8);
    List<String> c = images.where(otherSeed.heldOut(images)).select("id").as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList();
    assertTrue(!new java.util.HashSet<>(a).equals(new java.util.HashSet<>(c)), "the seed must change the split");
  }

  @Test
  void theHeldOutImagesAreTheSameWhereverTheFolderIsStored() {
    List<String> files = new java.util.ArrayList<>();
    for (int i = 0; i < 400; i++) {
      files.add("class" + (i % 7) + "/img" + i + ".png");
    }
    OodDetector split = new OodDetector().setValidationFraction(0.3).setSeed(11);
    java.util.function.Function<String, java.util.Set<String>> heldAt = root -> {
      Dataset<Row> ids = spark.createDataset(files.stream().map(f -> root + f).toList(),
          org.apache.spark.sql.Encoders.STRING()).toDF("id");
      return new java.util.TreeSet<>(ids.where(split.heldOut(ids)).select("id").as(
          org.apache.spark.sql.Encoders.STRING()).collectAsList().stream().map(id -> id.substring(root.length()))
          .toList());
    };
    java.util.Set<String> local = heldAt.apply("file:/home/me/data/train/");
    assertEquals(local, heldAt.apply("dbfs:/mnt/team/imagenet/train/"));
    assertEquals(local, heldAt.apply("s3a://bucket/a/b/c/"));
    assertEquals(0.3, local.size() / 400.0, 4 * Math.sqrt(0.3 * 0.7 / 400), local.size() + " of 400 held out");
  }
}
