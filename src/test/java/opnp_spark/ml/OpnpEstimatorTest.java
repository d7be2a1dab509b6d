package opnp_spark.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import io.opnp.BadInputException;
import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.data.ImageDecoder;
import io.opnp.data.Preprocess;
import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import io.opnp.math.PruningPlan;
import io.opnp.math.Sensitivity;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FittedState;
import io.opnp.model.HeadReader;
import io.opnp.model.ImageBatch;
import io.opnp.model.ModelOutput;
import io.opnp.model.LoadedModels;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.SensitivityJob;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/** The Spark ML API (Estimator → Model → transform, save/load) on real images and the committed model. */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class OpnpEstimatorTest {
  private static SparkSession spark;
  private static Dataset<Row> trainHf;
  private static Dataset<Row> test;
  private static OpnpModel model;
  private static final String MODEL = TestData.demoModel().toString();

  @TempDir
  Path tmp;

  @BeforeAll
  static void fit() {
    spark = SparkTestSession.get();
    Dataset<Row> train = DatasetReader.read(spark, DatasetSpec.parse("tr=idx:" + TestData.fashionTrainImages()), 1500, 3);
    // Hugging Face layout under a custom column name: img: struct<bytes, path>
    trainHf = train.select(struct(col("image").as("bytes"), col("id").as("path")).as("img"), col("label")).cache();
    test = DatasetReader.read(spark, DatasetSpec.parse("te=idx:" + TestData.fashionTestImages()), 300, 2)
        .select(col("id"), col("image"), col("label")).cache();
    model = new OpnpEstimator().setModelPath(MODEL).setImageCol("img").setBatchSize(128).fit(trainHf);
  }

  @Test
  void fitComputesTheSameSensitivityAsTheJob() {
    InferenceConfig cfg = model.inferenceConfig();
    Dataset<Row> images = DatasetReader.normalize(trainHf, "t", "img", "id", "label", "t");
    Sensitivity job = SensitivityJob.run(spark, cfg, images);
    assertEquals(1500, model.sensitivity().count());
    assertTrue(job.maxRelativeDifference(model.sensitivity()) <= 1e-12);
    assertEquals(model.uid(), model.parent().uid());
  }

  @Test
  void transformAddsScoresThatMatchADirectComputation() throws Exception {
    Dataset<Row> scored = model.copy(new ParamMap()).setImageCol("image").transform(test);
    assertEquals(List.of("id", "image", "label", "ood_score", "prediction"), List.of(scored.schema().fieldNames()));
    List<Row> rows = scored.collectAsList();
    assertEquals(300, rows.size());

    // Independent path: DJL predictor on the driver, the pruned head rebuilt from the model's sensitivity.
    LinearHead head = HeadReader.read(LoadedModels.get(TestData.demoModel(), Device.cpu()), "fc.weight", "fc.bias");
    LinearHead pruned = head.pruned(PruningPlan.of(model.sensitivity(), model.percentages()));
    double[] h = features(rows, 8);
    double[] logits = new double[8 * 10];
    pruned.logits(h, 8, logits);
    for (int i = 0; i < 8; i++) {
      assertEquals(Energy.score(logits, i * 10, 10, 1.0), rows.get(i).<Double>getAs("ood_score"), 1e-4, "row " + i);
      assertEquals(Energy.argmax(logits, i * 10, 10), (int) rows.get(i).<Integer>getAs("prediction"));
    }
    long correct = rows.stream().filter(r -> r.<Integer>getAs("prediction").longValue() == r.<Long>getAs("label")).count();
    assertTrue(correct > 0.8 * 300, "accuracy " + correct);
  }

  @Test
  void savedModelLoadsBackWithItsParamsAndGivesTheSameScores() throws Exception {
    OpnpModel tuned = model.copy(new ParamMap()).setPercentages(1, 2, 10, 5).setMethod("opnp").setScoreCol("s");
    String path = tmp.resolve("opnp-model").toString();
    tuned.write().overwrite().save(path);
    OpnpModel back = OpnpModel.load(path);
    String engine = java.nio.file.Files.readString(java.nio.file.Path.of(path, "engine.json"));
    assertTrue(engine.contains("\"libtorch_version\":\"2.5.1\"") && engine.contains("\"numerics_mode\":\""
        + io.opnp.model.EngineGuard.status().mode().id() + "\""), engine);
    assertEquals(tuned.uid(), back.uid());
    assertEquals("opnp", back.getOrDefault(back.method()));
    assertEquals(new io.opnp.math.PruningPercentages(1, 2, 10, 5), back.percentages());
    assertEquals("img", back.getOrDefault(back.imageCol()));
    assertEquals(0.0, tuned.sensitivity().maxRelativeDifference(back.sensitivity()));
    Map<String, Double> a = scores(tuned.setImageCol("image").transform(test), "s");
    Map<String, Double> b = scores(back.setImageCol("image").transform(test), "s");
    assertEquals(a, b);
    // the plan matters for these scores: another plan gives other scores
    Map<String, Double> other = scores(back.copy(new ParamMap()).setPercentages(0, 0, 0, 0).transform(test), "s");
    assertTrue(!a.equals(other), "scores do not depend on the percentages");
    // the original model is untouched by the copy's settings
    assertEquals(io.opnp.math.PruningPercentages.PAPER_RESNET50, model.percentages());
  }

  @Test
  void aModelSavedUnderTheOldJavaPackageStillLoadsAndAnotherStageIsRefusedNamingIt() throws Exception {
    String path = tmp.resolve("old-package-model").toString();
    model.write().overwrite().save(path);
    java.nio.file.Path metadata;
    try (var files = java.nio.file.Files.list(java.nio.file.Path.of(path, "metadata"))) {
      metadata = files.filter(f -> f.getFileName().toString().startsWith("part-")).findFirst().orElseThrow();
    }
    String json = java.nio.file.Files.readString(metadata);
    // Hadoop's checksum of the part file would no longer match the edited text
    java.nio.file.Files.deleteIfExists(metadata.resolveSibling("." + metadata.getFileName() + ".crc"));
    assertTrue(json.contains("\"class\":\"opnp_spark.ml.OpnpModel\""), json);
    java.nio.file.Files.writeString(metadata, json.replace("opnp_spark.ml.OpnpModel", "io.opnp.ml.OpnpModel"));
    OpnpModel back = OpnpModel.load(path);
    assertEquals(model.uid(), back.uid());
    assertEquals(0.0, model.sensitivity().maxRelativeDifference(back.sensitivity()));
    java.nio.file.Files.writeString(metadata, json.replace("opnp_spark.ml.OpnpModel", "opnp_spark.ml.OodDetectorModel"));
    BadInputException wrong = assertThrows(BadInputException.class, () -> OpnpModel.load(path));
    assertTrue(wrong.getMessage().contains("holds a saved opnp_spark.ml.OodDetectorModel, not a OpnpModel"),
        wrong.getMessage());
  }

  @Test
  void estimatorSavesAndLoadsItsParams() throws Exception {
    OpnpEstimator e = new OpnpEstimator().setModelPath(MODEL).setBatchSize(64).setInputShape(1, 28, 28)
        .setDecodeThreads(3).setPrecision("fp32").setMaxImagePixels(1_000_000);
    String path = tmp.resolve("estimator").toString();
    e.write().overwrite().save(path);
    OpnpEstimator back = OpnpEstimator.load(path);
    assertEquals(e.uid(), back.uid());
    assertEquals(64, (Integer) back.getOrDefault(back.batchSize()));
    assertEquals(MODEL, back.getOrDefault(back.modelPath()));
    assertEquals(3, (Integer) back.getOrDefault(back.decodeThreads()));
    assertEquals("fp32", back.getOrDefault(back.precision()));
    assertEquals(1_000_000L, back.inferenceConfig().preprocess().maxImagePixels());
    assertEquals(89_478_485L, new OpnpEstimator().setModelPath(MODEL).inferenceConfig().preprocess().maxImagePixels());
  }

  @Test
  void badParametersAndInputsAreRejectedWithTheFix() {
    IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
        () -> model.copy(new ParamMap()).setPercentages(60, 50, 0, 0));
    assertEquals("rho-w-max + rho-w-min must be below 100 (it would remove every weight), got 60.0 + 50.0",
        sum.getMessage());
    assertThrows(IllegalArgumentException.class, () -> model.copy(new ParamMap()).set(model.rhoOMax(), 150.0));
    assertThrows(IllegalArgumentException.class, () -> model.copy(new ParamMap()).setPrecision("int8"));
    assertThrows(IllegalArgumentException.class, () -> model.copy(new ParamMap()).setDecodeThreads(-1));
    assertThrows(IllegalArgumentException.class, () -> model.copy(new ParamMap()).setMaxImagePixels(0));
    BadInputException precision = assertThrows(BadInputException.class,
        () -> model.copy(new ParamMap()).setImageCol("image").setPrecision("bf16").transform(test));
    assertTrue(precision.getMessage().contains("--precision bf16"), precision.getMessage());
    BadInputException noImage = assertThrows(BadInputException.class,
        () -> model.copy(new ParamMap()).setImageCol("pixels").transform(test));
    assertEquals("the DataFrame has no image column 'pixels' (columns: [id, image, label]); set imageCol",
        noImage.getMessage());
    BadInputException noModel = assertThrows(BadInputException.class,
        () -> new OpnpEstimator().setImageCol("img").fit(trainHf));
    assertEquals("modelPath is not set; call setModelPath with a TorchScript .pt or an ONNX .onnx file", noModel.getMessage());
  }

  @Test
  void anyMethodOfTheTableThatNeedsOnlyTheHeadScoresAsItsSpecBuiltOnTheSameFeatures() throws Exception {
    assertTrue(OpnpModel.METHODS.containsAll(List.of("energy", "msp", "maxlogit", "gen", "gradnorm", "opnp")),
        OpnpModel.METHODS.toString());
    // MSP was not an OpnpModel method before it went through the method table; case as users may type it.
    List<Row> rows = model.copy(new ParamMap()).setImageCol("image").setMethod("MSP").transform(test).collectAsList();
    LinearHead head = HeadReader.read(LoadedModels.get(TestData.demoModel(), Device.cpu()), "fc.weight", "fc.bias");
    FittedState state = FittedState.builder().sensitivity(model.sensitivity()).build();
    double[] h = features(rows, 8);
    double[] expected = new double[8];
    DetectorSpec.of("msp").build(head, state, 1.0).score(h, 8, expected);
    double[] logits = new double[8 * 10];
    head.logits(h, 8, logits);
    for (int i = 0; i < 8; i++) {
      double msp = rows.get(i).<Double>getAs("ood_score");
      assertTrue(msp > 0 && msp <= 1, "not a softmax probability: " + msp);
      assertEquals(expected[i], msp, 1e-6, "row " + i);
      // MSP scores through the original head, so its prediction is the original head's class
      assertEquals(Energy.argmax(logits, i * 10, 10), (int) rows.get(i).<Integer>getAs("prediction"));
    }
  }

  @Test
  void unknownOrUnfittedMethodNamesFailNamingTheMethodsOpnpModelTakes() {
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> model.copy(new ParamMap()).setMethod("entropy"));
    assertEquals("unknown OOD method 'entropy'; OpnpModel takes " + OpnpModel.METHODS, unknown.getMessage());
    // in the table, but KNN needs a bank of training features that an OpnpModel does not hold
    IllegalArgumentException knn = assertThrows(IllegalArgumentException.class,
        () -> model.copy(new ParamMap()).setMethod("knn"));
    assertTrue(knn.getMessage().startsWith("method knn needs state fitted on the training features")
        && knn.getMessage().contains("OpnpModel takes " + OpnpModel.METHODS), knn.getMessage());
    assertTrue(!OpnpModel.METHODS.contains("knn") && !OpnpModel.METHODS.contains("react"), OpnpModel.METHODS.toString());
    // a value set around setMethod (Spark's set, a loaded model's metadata) is still checked by the param
    assertThrows(IllegalArgumentException.class, () -> model.copy(new ParamMap()).set(model.method(), "mahalanobis"));
  }

  /** Penultimate features of the first n rows, by an independent path: DJL's predictor on the driver. */
  private static double[] features(List<Row> rows, int n) throws Exception {
    ImageDecoder dec = new ImageDecoder(Preprocess.grey(28, 28));
    float[] x = new float[n * 784];
    for (int i = 0; i < n; i++) {
      dec.decode(rows.get(i).getAs("image"), x, i * 784);
    }
    ModelOutput out;
    try (Predictor<ImageBatch, ModelOutput> p = LoadedModels.get(TestData.demoModel(), Device.cpu()).newPredictor()) {
      out = p.predict(new ImageBatch(x, n, 1, 28, 28));
    }
    double[] h = new double[n * 256];
    for (int i = 0; i < h.length; i++) {
      h[i] = out.features()[i];
    }
    return h;
  }

  private static Map<String, Double> scores(Dataset<Row> df, String column) {
    Map<String, Double> m = new HashMap<>();
    df.collectAsList().forEach(r -> m.put(r.getAs("id"), r.getAs(column)));
    return m;
  }
}
