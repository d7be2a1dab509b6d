package io.opnp.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.cli.OpnpCli;
import io.opnp.decision.ConformalPValues;
import opnp_spark.ml.OodDetectorModel;
import io.opnp.spark.InferenceConfig;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The detector evaluate saves, used three ways on real data and the real model: {@code opnp detect},
 * the ML API (with a save/load round trip) and the streaming monitor with files arriving while the
 * query runs, a stop and a restart from the checkpoint. All three give evaluate's own scores.
 */
class DetectorBundleTest {
  @TempDir
  static Path tmp;

  private static SparkSession spark;
  private static Path out;
  private static Path data;
  private static String model;
  private static JsonNode bundle;

  private static int cli(StringWriter err, String... args) {
    return OpnpCli.run(new PrintWriter(err, true), args);
  }

  private static void ok(String... args) {
    StringWriter err = new StringWriter();
    assertEquals(0, cli(err, args), String.join(" ", args) + "\n" + err);
  }

  @BeforeAll
  static void evaluate() throws Exception {
    spark = SparkTestSession.get();
    model = TestData.demoModel().toString();
    data = tmp.resolve("data");
    ok("prepare-demo-data", "--master", "local[2]", "--mnist-package", TestData.mnistPackage().toString(),
        "--fashion-mnist", TestData.fashionMnist().toString(), "--output", data.toString(), "--noise-count", "300");
    out = tmp.resolve("out");
    ok("evaluate", "--master", "local[2]", "--model", model, "--train", "tr=idx:" + TestData.fashionTrainImages(),
        "--train-limit", "2000", "--limit", "600", "--knn-bank-size", "1000",
        "--val-id", "val-id=parquet:" + data.resolve("val-id"),
        "--id-test", "fm=idx:" + TestData.fashionTestImages(), "--ood", "mnist=parquet:" + data.resolve("mnist"),
        "--ood", "noise=folder:" + data.resolve("noise"), "--output", out.toString());
    bundle = new ObjectMapper().readTree(out.resolve("detector/detector.json").toFile());
  }

  /** id → evaluate's score of the recommended detector. */
  private static Map<String, Double> evaluateScores() {
    Map<String, Double> m = new HashMap<>();
    for (Row r : spark.read().parquet(out.resolve("scores-all").toString()).select("id", "detector").collectAsList()) {
      m.put(r.getString(0), r.getDouble(1));
    }
    return m;
  }

  @Test
  void theBundleRecordsTheChoiceTheThresholdAndTheModel() throws Exception {
    JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    JsonNode rec = metrics.get("recommendation");
    assertEquals(rec.get("method").asText(), bundle.get("method").asText());
    assertEquals(rec.get("threshold").get("threshold").asDouble(), bundle.get("threshold").get("threshold").asDouble());
    assertEquals(io.opnp.io.Hashes.sha256(TestData.demoModel()), bundle.get("model").get("sha256").asText());
    assertEquals(List.of(1, 28, 28), List.of(bundle.get("preprocessing").get("channels").asInt(),
        bundle.get("preprocessing").get("height").asInt(), bundle.get("preprocessing").get("width").asInt()));
    assertTrue(bundle.get("engine").has("numerics_mode") || bundle.get("engine").size() > 0, bundle.get("engine") + "");
    // The threshold keeps 95 % of the calibration scores saved beside it, and the interval holds the estimate.
    JsonNode calib = bundle.get("calibration_scores");
    double tau = bundle.get("threshold").get("threshold").asDouble();
    int kept = 0;
    for (JsonNode s : calib) {
      kept += s.asDouble() >= tau ? 1 : 0;
    }
    assertTrue(kept >= 0.95 * calib.size(), kept + " of " + calib.size());
    JsonNode ci = bundle.get("threshold").get("false_alarm_interval_95");
    double far = bundle.get("threshold").get("expected_false_alarm_rate").asDouble();
    assertTrue(ci.get(0).asDouble() <= far && far <= ci.get(1).asDouble(), ci + " vs " + far);
    assertEquals(5, rec.get("proxies").size());
    assertEquals(5, rec.get("leave_one_out").size());
    assertTrue(Files.readString(out.resolve("report.md")).startsWith("# Recommended detector"));
  }

  /** A class folder tree with what real ones hold: every listed image scored or skipped with its reason. */
  private static Path realTree() throws Exception {
    Path root = tmp.resolve("tree");
    Path a = Files.createDirectories(root.resolve("0"));
    Path b = Files.createDirectories(root.resolve("1"));
    io.opnp.data.IdxFiles.Images im = io.opnp.data.IdxFiles.readImages(TestData.fashionTestImages(), 4);
    java.awt.image.BufferedImage[] img = new java.awt.image.BufferedImage[4];
    for (int i = 0; i < 4; i++) {
      img[i] = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
          io.opnp.data.Png.encodeGrey(im.pixels()[i], 28, 28)));
    }
    Files.write(a.resolve("shirt.png"), io.opnp.data.Png.encodeGrey(im.pixels()[0], 28, 28));
    javax.imageio.ImageIO.write(img[1], "tiff", a.resolve("scan.tiff").toFile());
    javax.imageio.ImageIO.write(img[2], "pnm", a.resolve("frame.pgm").toFile());
    Files.write(a.resolve("at 12:30.png"), io.opnp.data.Png.encodeGrey(im.pixels()[3], 28, 28));
    try (var in = DetectorBundleTest.class.getResourceAsStream("/images/rgb-lossless.webp")) {
      Files.write(b.resolve("photo.webp"), in.readAllBytes());
    }
    Files.writeString(b.resolve("notes.txt"), "not an image");
    Files.write(b.resolve(".DS_Store"), new byte[] {0, 0, 0, 1});
    Files.write(b.resolve("empty.jpg"), new byte[0]);
    Files.createSymbolicLink(b.resolve("gone.png"), root.resolve("deleted.png"));
    Files.createSymbolicLink(b.resolve("loop"), root);
    return root;
  }

  @Test
  void detectAccountsForEveryFileOfARealTreeAndGivesEachSkippedImageItsReason() throws Exception {
    Path tree = realTree();
    Path det = tmp.resolve("detect-tree");
    ok("detect", "--master", "local[2]", "--detector", out.resolve("detector").toString(), "--model", model,
        "--input", "tree=folder:" + tree, "--on-bad-image", "skip", "--output", det.toString());
    Map<String, Row> byName = new HashMap<>();
    for (Row r : spark.read().parquet(det.resolve("scores").toString()).collectAsList()) {
      String id = r.getAs("id");
      assertEquals(null, byName.put(id.substring(id.lastIndexOf('/') + 1), r), "listed twice: " + id);
    }
    assertEquals(java.util.Set.of("shirt.png", "scan.tiff", "frame.pgm", "at 12:30.png", "photo.webp", "empty.jpg",
        "gone.png"), byName.keySet());
    for (String scored : List.of("shirt.png", "scan.tiff", "frame.pgm", "at 12:30.png", "photo.webp")) {
      assertNotNull(byName.get(scored).getAs("ood_score"), scored);
      assertEquals(null, byName.get(scored).<String>getAs("skip_reason"), scored);
    }
    assertEquals("the image is empty (0 bytes)", byName.get("empty.jpg").<String>getAs("skip_reason"));
    assertEquals("the file could not be read (NoSuchFileException: " + tree.resolve("1/gone.png") + ")",
        byName.get("gone.png").<String>getAs("skip_reason"));
    assertEquals(null, byName.get("gone.png").<Double>getAs("ood_score"));
    JsonNode ds = new ObjectMapper().readTree(det.resolve("summary.json").toFile()).get("datasets").get("tree");
    assertEquals(7, ds.get("images").asInt(), ds.toString());
    assertEquals(2, ds.get("skipped").asInt(), ds.toString());
    assertEquals(1, ds.get("ignored_files").asInt(), ds.toString());
    assertEquals("1/notes.txt", ds.get("ignored_examples").get(0).asText());
    assertEquals(1, ds.get("hidden_entries").asInt(), ds.toString());
    assertEquals("1/loop", ds.get("symlink_cycles").get(0).asText());
    assertTrue(Files.readString(det.resolve("summary.md")).contains("1 other file(s) ignored"),
        Files.readString(det.resolve("summary.md")));

    // Under the default policy the first unreadable image stops the job, named, with exit 2 and no output.
    StringWriter err = new StringWriter();
    Path failed = tmp.resolve("detect-tree-fail");
    assertEquals(OpnpCli.EXIT_BAD_INPUT, cli(err, "detect", "--master", "local[2]", "--detector",
        out.resolve("detector").toString(), "--model", model, "--input", "tree=folder:" + tree, "--output",
        failed.toString()), err.toString());
    assertTrue(err.toString().contains("dataset tree, image file:" + tree.resolve("1")), err.toString());
    assertFalse(Files.exists(failed.resolve("summary.json")));
  }

  @Test
  void detectGivesEvaluatesScoresWithFlagsAndPValues() throws Exception {
    Path det = tmp.resolve("detect");
    ok("detect", "--master", "local[2]", "--detector", out.resolve("detector").toString(), "--model", model,
        "--input", "fm=idx:" + TestData.fashionTestImages(), "--input", "mnist=parquet:" + data.resolve("mnist"),
        "--limit", "600", "--output", det.toString());
    Map<String, Double> expected = evaluateScores();
    List<Row> rows = spark.read().parquet(det.resolve("scores").toString()).collectAsList();
    assertEquals(1200, rows.size());
    double tau = bundle.get("threshold").get("threshold").asDouble();
    double[] calib = new double[bundle.get("calibration_scores").size()];
    for (int i = 0; i < calib.length; i++) {
      calib[i] = bundle.get("calibration_scores").get(i).asDouble();
    }
    Map<String, long[]> flagged = new HashMap<>();
    for (Row r : rows) {
      String id = r.getAs("id");
      double s = r.getAs("ood_score");
      assertNotNull(expected.get(id), id);
      assertEquals(expected.get(id), s, 1e-9, id);
      assertEquals(s < tau, r.<Boolean>getAs("is_ood"), id);
      long below = java.util.Arrays.stream(calib).filter(c -> c <= s).count();
      assertEquals((1.0 + below) / (calib.length + 1), r.<Double>getAs("ood_pvalue"), 1e-15, id);
      long[] f = flagged.computeIfAbsent(r.getAs("dataset"), k -> new long[2]);
      f[0] += s < tau ? 1 : 0;
      f[1]++;
    }
    JsonNode summary = new ObjectMapper().readTree(det.resolve("summary.json").toFile());
    for (String ds : List.of("fm", "mnist")) {
      assertEquals(flagged.get(ds)[0], summary.get("datasets").get(ds).get("flagged_ood").asLong(), ds);
      assertEquals(flagged.get(ds)[1], summary.get("datasets").get(ds).get("scored").asLong(), ds);
    }
    // MNIST is far from Fashion-MNIST: its rate must be unlike in-distribution data's; the ID test set's must not.
    assertTrue(summary.get("datasets").get("mnist").get("unlike_in_distribution").asBoolean(), summary.toString());
    assertFalse(summary.get("datasets").get("fm").get("unlike_in_distribution").asBoolean(), summary.toString());
  }

  @Test
  void aDetectorFittedOnLibtorchRunsOnTheModelsOnnxExportWithTheSameScoresAndFlags() throws Exception {
    Path det = tmp.resolve("detect-onnx");
    ok("detect", "--master", "local[2]", "--detector", out.resolve("detector").toString(), "--model",
        TestData.demoOnnxModel().toString(), "--input", "fm=idx:" + TestData.fashionTestImages(),
        "--input", "mnist=parquet:" + data.resolve("mnist"), "--limit", "600", "--output", det.toString());
    Map<String, Double> expected = evaluateScores();  // computed by libtorch
    double tau = bundle.get("threshold").get("threshold").asDouble();
    List<Row> rows = spark.read().parquet(det.resolve("scores").toString()).collectAsList();
    assertEquals(1200, rows.size());
    List<Double> unequal = new java.util.ArrayList<>();
    int sameFlags = 0;
    for (Row r : rows) {
      double torch = expected.get(r.<String>getAs("id"));
      double onnx = r.getAs("ood_score");
      double relative = Math.abs(onnx - torch) / Math.max(1, Math.abs(torch));
      if (relative >= 1e-4) {
        unequal.add(relative);
      }
      sameFlags += (torch < tau) == r.<Boolean>getAs("is_ood") ? 1 : 0;
    }
    // Other kernels sum in other orders: the features differ in their last float32 bits, not more. The recommended
    // fusion's score is the harmonic mean of its K members' p-values, ranks among n reference scores each: such a
    // difference moves it only where a member's score lies within float32 noise of one of its reference scores, and
    // then by one rank, at most K / (n + 1) — a few rows in a thousand at most; every other row agrees to 1e-4. That
    // ONNX Runtime ran is shown by the provenance below, not by unequal scores.
    assertEquals("fusion", bundle.get("method").asText());
    int members = bundle.get("parameters").get("members").size();
    long references = Files.size(out.resolve("detector/state/references/member_0.f64")) / Double.BYTES;
    double oneRank = members / (references + 1.0);
    assertTrue(unequal.size() <= rows.size() / 400, unequal.size() + " of " + rows.size()
        + " scores differ by 1e-4 or more (relative) between ONNX Runtime and libtorch: " + unequal);
    assertTrue(unequal.stream().allMatch(d -> d <= oneRank + 1e-12), "one rank's step (" + oneRank + ") at most: "
        + unequal);
    assertTrue(sameFlags >= rows.size() - 1, sameFlags + " of " + rows.size() + " flags equal");
    JsonNode summary = new ObjectMapper().readTree(det.resolve("summary.json").toFile());
    assertTrue(summary.toString().contains("onnxruntime_version"), "provenance names ONNX Runtime: " + summary);
  }

  @Test
  void aBundleIsRefusedWithAnotherModel() throws Exception {
    Path other = tmp.resolve("other.pt");
    Files.copy(TestData.demoModel(), other);
    Files.write(other, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);  // another file, another SHA-256
    StringWriter err = new StringWriter();
    Path det = tmp.resolve("detect-wrong");
    assertEquals(OpnpCli.EXIT_BAD_INPUT, cli(err, "detect", "--master", "local[2]", "--detector",
        out.resolve("detector").toString(), "--model", other.toString(), "--input", "mnist=parquet:"
            + data.resolve("mnist"), "--output", det.toString()));
    assertTrue(err.toString().contains("the detector was fitted on model fmnist-resnet.pt"), err.toString());
    assertFalse(Files.exists(det.resolve("scores")), "nothing may be written");
  }

  @Test
  void theMlModelScoresLikeEvaluateAndSurvivesSaveAndLoad() throws Exception {
    OodDetectorModel m = OodDetectorModel.fromBundle(spark, out.resolve("detector").toString()).setModelPath(model);
    Dataset<Row> images = spark.read().parquet(data.resolve("mnist").toString()).orderBy("image.path").limit(200);
    List<Row> a = m.transform(images).select("image.path", "ood_score", "ood_pvalue", "is_ood", "prediction")
        .orderBy("path").collectAsList();
    String saved = tmp.resolve("ml-model").toString();
    m.write().save(saved);
    OodDetectorModel back = OodDetectorModel.load(saved).setModelPath(model);
    List<Row> b = back.transform(images).select("image.path", "ood_score", "ood_pvalue", "is_ood", "prediction")
        .orderBy("path").collectAsList();
    assertEquals(200, a.size());
    assertEquals(a, b);
    assertEquals(m.detector().threshold(), back.detector().threshold());
  }

  @Test
  void theStreamingMonitorNeitherLosesNorDuplicatesRowsAcrossARestart() throws Exception {
    Path watch = Files.createDirectories(tmp.resolve("watch"));
    Path sink = tmp.resolve("monitor-out");
    Path checkpoint = tmp.resolve("checkpoint");
    Detector d = DetectorBundle.load(spark, out.resolve("detector").toString());
    InferenceConfig cfg = DetectJob.config(d, io.opnp.cli.JobOptionsAccess.stage(Path.of(model)), 64, 1, true, 0);
    Dataset<Row> mnist = spark.read().parquet(data.resolve("mnist").toString()).orderBy("image.path");
    List<Row> all = mnist.limit(300).collectAsList();
    shard(all.subList(0, 100), mnist.schema(), watch, "a");  // the first shard gives the monitor its schema
    StreamingQuery q = StreamingMonitor.start(spark, d, cfg, watch.toString(), StreamingMonitor.Format.PARQUET,
        sink.toString(), checkpoint.toString(), 200, 100);
    q.processAllAvailable();
    shard(all.subList(100, 180), mnist.schema(), watch, "b");  // arrives while the query runs
    q.processAllAvailable();
    q.stop();
    shard(all.subList(180, 300), mnist.schema(), watch, "c");  // arrives while it is stopped
    StreamingQuery again = StreamingMonitor.start(spark, d, cfg, watch.toString(), StreamingMonitor.Format.PARQUET,
        sink.toString(), checkpoint.toString(), 200, 100);
    again.processAllAvailable();
    again.stop();
    Dataset<Row> scores = spark.read().parquet(sink.resolve("scores").toString());
    assertEquals(300, scores.count());
    assertEquals(300, scores.select("id").distinct().count());
    Row monitor = spark.read().parquet(sink.resolve("monitor").toString())
        .selectExpr("sum(count)", "sum(flagged_ood)", "count(*)").first();
    assertEquals(300L, monitor.getLong(0));
    assertTrue(monitor.getLong(2) >= 2, "one row per micro-batch, at least one before and one after the restart");
    long flagged = scores.where("is_ood").count();
    assertEquals(flagged, monitor.getLong(1));
    // The stream's scores are the batch detector's.
    OodDetectorModel m = OodDetectorModel.fromBundle(spark, out.resolve("detector").toString()).setModelPath(model);
    Map<String, Double> batch = new HashMap<>();
    for (Row r : m.transform(mnist.limit(300)).select("image.path", "ood_score").collectAsList()) {
      batch.put(r.getString(0), r.getDouble(1));
    }
    for (Row r : scores.select("id", "ood_score").collectAsList()) {
      assertEquals(batch.get(r.getString(0)), r.getDouble(1), 1e-9, r.getString(0));
    }
  }

  @Test
  void theMonitorSetsAsideCorruptHalfWrittenAndDamagedShardsAndGoesOnScoring() throws Exception {
    Path watch = Files.createDirectories(tmp.resolve("watch-bad"));
    Path sink = tmp.resolve("monitor-bad");
    Path checkpoint = tmp.resolve("checkpoint-bad");
    Detector d = DetectorBundle.load(spark, out.resolve("detector").toString());
    InferenceConfig cfg = DetectJob.config(d, io.opnp.cli.JobOptionsAccess.stage(Path.of(model)), 64, 1, true, 0);
    Dataset<Row> mnist = spark.read().parquet(data.resolve("mnist").toString()).orderBy("image.path");
    List<Row> all = mnist.limit(240).collectAsList();
    shard(all.subList(0, 60), mnist.schema(), watch, "bad-a");
    java.util.Random random = new java.util.Random(17);
    byte[] noise = new byte[20_000];
    random.nextBytes(noise);
    Files.write(watch.resolve("part-corrupt.parquet"), noise);  // random bytes under a Parquet name
    byte[] whole = shardBytes(all.subList(60, 120), mnist.schema(), "half");
    Files.write(watch.resolve("half.parquet"), java.util.Arrays.copyOf(whole, whole.length / 2));  // mid-write
    byte[] damaged = shardBytes(all.subList(120, 180), mnist.schema(), "damaged");
    byte[] garbage = new byte[damaged.length / 3];
    random.nextBytes(garbage);
    System.arraycopy(garbage, 0, damaged, 8, garbage.length);  // footer intact, the data pages not
    Files.write(watch.resolve("damaged.parquet"), damaged);
    StreamingQuery q = StreamingMonitor.start(spark, d, cfg, watch.toString(), StreamingMonitor.Format.PARQUET,
        sink.toString(), checkpoint.toString(), 200, 100);
    q.processAllAvailable();
    shard(all.subList(180, 240), mnist.schema(), watch, "bad-b");  // a good shard after the bad ones
    q.processAllAvailable();
    q.stop();
    assertTrue(q.exception().isEmpty(), () -> "the stream goes on: " + q.exception());
    Dataset<Row> scores = spark.read().parquet(sink.resolve("scores").toString());
    assertEquals(120, scores.count(), "shards a and b, nothing of the three bad ones");
    assertEquals(120, scores.select("id").distinct().count());
    List<Row> aside = spark.read().parquet(sink.resolve("monitor").toString())
        .selectExpr("explode(quarantined_files) as q").selectExpr("q.file", "q.reason").orderBy("file").collectAsList();
    assertEquals(3, aside.size(), aside.toString());
    assertTrue(aside.get(0).getString(0).endsWith("damaged.parquet"), aside.toString());
    assertFalse(aside.get(0).getString(1).isBlank());
    assertTrue(aside.get(1).getString(0).endsWith("half.parquet"), aside.toString());
    assertTrue(aside.get(1).getString(1).startsWith("not a readable Parquet file"), aside.toString());
    assertTrue(aside.get(2).getString(0).endsWith("part-corrupt.parquet"), aside.toString());
    assertTrue(aside.get(2).getString(1).startsWith("not a readable Parquet file"), aside.toString());
    assertEquals(3L, spark.read().parquet(sink.resolve("monitor").toString()).selectExpr("sum(quarantined)")
        .first().getLong(0));
    // A restart does not meet the set-aside files again, and removes what a killed attempt left.
    long batches = spark.read().parquet(sink.resolve("monitor").toString()).count();
    Files.createDirectories(sink.resolve(StreamingMonitor.STAGING + "/scores-9-left-by-a-kill"));
    StreamingQuery again = StreamingMonitor.start(spark, d, cfg, watch.toString(), StreamingMonitor.Format.PARQUET,
        sink.toString(), checkpoint.toString(), 200, 100);
    again.processAllAvailable();
    again.stop();
    assertEquals(batches, spark.read().parquet(sink.resolve("monitor").toString()).count());
    assertFalse(Files.exists(sink.resolve(StreamingMonitor.STAGING + "/scores-9-left-by-a-kill")));
    // The good shards' scores are the batch detector's.
    OodDetectorModel m = OodDetectorModel.fromBundle(spark, out.resolve("detector").toString()).setModelPath(model);
    Map<String, Double> batch = new HashMap<>();
    for (Row r : m.transform(mnist.limit(240)).select("image.path", "ood_score").collectAsList()) {
      batch.put(r.getString(0), r.getDouble(1));
    }
    for (Row r : scores.select("id", "ood_score").collectAsList()) {
      assertEquals(batch.get(r.getString(0)), r.getDouble(1), 1e-9, r.getString(0));
    }
  }

  @Test
  void underOnBadShardFailTheMonitorStopsNamingTheShardAndWritesNothingOfThatBatch() throws Exception {
    Path watch = Files.createDirectories(tmp.resolve("watch-fail"));
    Dataset<Row> mnist = spark.read().parquet(data.resolve("mnist").toString()).orderBy("image.path");
    shard(mnist.limit(30).collectAsList(), mnist.schema(), watch, "fail-good");
    Files.write(watch.resolve("part-corrupt.parquet"), new byte[20_000]);
    Path sink = tmp.resolve("monitor-fail");
    StringWriter err = new StringWriter();
    assertEquals(OpnpCli.EXIT_BAD_INPUT, cli(err, "monitor", "--master", "local[2]", "--detector",
        out.resolve("detector").toString(), "--model", model, "--watch", watch.toString(), "--output", sink.toString(),
        "--checkpoint", tmp.resolve("ckpt-fail").toString(), "--trigger-seconds", "0", "--on-bad-shard", "fail"));
    assertTrue(err.toString().contains("part-corrupt.parquet") && err.toString().contains("--on-bad-shard=quarantine"),
        err.toString());
    assertFalse(Files.exists(sink.resolve("scores")), "the failed batch is not committed");
  }

  @Test
  void theMonitorScoresArrivingImageFilesAndNamesTheUnreadableOnesInTheMonitoringRow() throws Exception {
    Path watch = Files.createDirectories(tmp.resolve("watch-files"));
    Dataset<Row> mnist = spark.read().parquet(data.resolve("mnist").toString()).orderBy("image.path");
    List<Row> rows = mnist.limit(40).collectAsList();
    Files.createDirectories(watch.resolve("cam-1"));
    for (int i = 0; i < rows.size(); i++) {
      Files.write(watch.resolve("cam-1/img-" + i + ".png"), rows.get(i).<Row>getAs("image").<byte[]>getAs("bytes"));
    }
    byte[] png = rows.get(0).<Row>getAs("image").getAs("bytes");
    Files.write(watch.resolve("cam-1/cut.png"), java.util.Arrays.copyOf(png, png.length / 3));
    Files.writeString(watch.resolve("cam-1/notes.txt"), "not an image");
    Path sink = tmp.resolve("monitor-files");
    ok("monitor", "--master", "local[2]", "--detector", out.resolve("detector").toString(), "--model", model,
        "--watch", watch.toString(), "--format", "files", "--output", sink.toString(), "--checkpoint",
        tmp.resolve("ckpt-files").toString(), "--trigger-seconds", "0");
    Dataset<Row> scores = spark.read().parquet(sink.resolve("scores").toString());
    assertEquals(41, scores.count(), "40 images and the cut one; notes.txt is not an image");
    assertEquals(40, scores.where("ood_score is not null").count());
    Row monitor = spark.read().parquet(sink.resolve("monitor").toString())
        .selectExpr("sum(count)", "sum(scored)", "sum(quarantined)").first();
    assertEquals(List.of(41L, 40L, 1L), List.of(monitor.getLong(0), monitor.getLong(1), monitor.getLong(2)));
    Row aside = spark.read().parquet(sink.resolve("monitor").toString())
        .selectExpr("explode(quarantined_files) as q").selectExpr("q.file", "q.reason").first();
    assertTrue(aside.getString(0).endsWith("cam-1/cut.png"), aside.toString());
    assertEquals(scores.where("skip_reason is not null").first().<String>getAs("skip_reason"), aside.getString(1));
    // The files' scores are the batch detector's on the same bytes.
    OodDetectorModel m = OodDetectorModel.fromBundle(spark, out.resolve("detector").toString()).setModelPath(model);
    Map<String, Double> batch = new HashMap<>();
    for (Row r : m.transform(mnist.limit(40)).select("image.path", "ood_score").collectAsList()) {
      batch.put(r.getString(0), r.getDouble(1));
    }
    Map<String, Double> stream = new HashMap<>();
    for (Row r : scores.where("ood_score is not null").select("id", "ood_score").collectAsList()) {
      stream.put(r.getString(0).replaceAll(".*/img-", ""), r.getDouble(1));
    }
    for (int i = 0; i < rows.size(); i++) {
      String path = rows.get(i).<Row>getAs("image").getAs("path");
      assertEquals(batch.get(path), stream.get(i + ".png"), 1e-9, path);
    }
  }

  @Test
  void theMonitorCommandProcessesWhatIsThereAndStopsWithTriggerZero() throws Exception {
    Path watch = Files.createDirectories(tmp.resolve("watch-cli"));
    Dataset<Row> mnist = spark.read().parquet(data.resolve("mnist").toString()).orderBy("image.path");
    shard(mnist.limit(50).collectAsList(), mnist.schema(), watch, "only");
    Path sink = tmp.resolve("monitor-cli");
    ok("monitor", "--master", "local[2]", "--detector", out.resolve("detector").toString(), "--model", model,
        "--watch", watch.toString(), "--output", sink.toString(), "--checkpoint", tmp.resolve("ckpt-cli").toString(),
        "--trigger-seconds", "0");
    assertEquals(50, spark.read().parquet(sink.resolve("scores").toString()).count());
    StringWriter err = new StringWriter();
    assertEquals(OpnpCli.EXIT_BAD_INPUT, cli(err, "monitor", "--master", "local[2]", "--detector",
        out.resolve("detector").toString(), "--model", model, "--watch", watch.toString(), "--format", "csv",
        "--output", sink.toString(), "--checkpoint", tmp.resolve("ckpt-x").toString()));
    assertTrue(err.toString().contains("--format must be parquet or files, got 'csv'"), err.toString());
  }

  /** One Parquet file of these rows, as bytes. */
  private static byte[] shardBytes(List<Row> rows, org.apache.spark.sql.types.StructType schema, String name)
      throws Exception {
    Path staging = tmp.resolve("bytes-" + name);
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(staging.toString());
    try (var files = Files.list(staging)) {
      return Files.readAllBytes(files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst()
          .orElseThrow());
    }
  }

  /** Writes rows as one Parquet file elsewhere, then moves it into the watched directory whole. */
  private static void shard(List<Row> rows, org.apache.spark.sql.types.StructType schema, Path watch, String name)
      throws Exception {
    Path staging = tmp.resolve("staging-" + name);
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(staging.toString());
    try (var files = Files.list(staging)) {
      Path part = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.move(part, watch.resolve(name + ".parquet"));
    }
  }
}
