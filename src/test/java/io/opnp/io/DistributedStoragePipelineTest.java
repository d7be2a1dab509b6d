package io.opnp.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.cli.OpnpCli;
import io.opnp.testing.MiniHdfs;
import io.opnp.testing.S3ProxyServer;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * The deployment line on distributed storage: evaluate, then detect with the saved detector, then
 * the streaming monitor over arriving shards, with the model, its card, every dataset and every
 * output (checkpoint included) only on a real HDFS (MiniDFSCluster) or only on a real S3 API
 * (S3Proxy through s3a://), each equal to the same line run on local files.
 */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class DistributedStoragePipelineTest {
  /** The data folder's name on every store; ids of folder and stream rows carry their location after it. */
  private static final String DATA = "opnp-data";

  @TempDir
  static Path tmp;

  private static SparkSession spark;
  private static MiniDFSCluster hdfs;
  private static S3ProxyServer s3;
  private static Path localData;
  private static Path localOut;

  @BeforeAll
  static void setUp() throws Exception {
    spark = SparkTestSession.get();
    localData = tmp.resolve(DATA);
    Path demo = tmp.resolve("demo");
    ok("prepare-demo-data", "--master", "local[2]", "--mnist-package", TestData.mnistPackage().toString(),
        "--fashion-mnist", TestData.fashionMnist().toString(), "--output", demo.toString(), "--noise-count", "100");
    Files.createDirectories(localData.resolve("models"));
    Files.createDirectories(localData.resolve("fashion"));
    for (String name : List.of("fmnist-resnet.pt", "fmnist-resnet.json")) {
      Files.copy(TestData.demoModel().resolveSibling(name), localData.resolve("models/" + name));
    }
    for (String name : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz")) {
      Files.copy(TestData.fashionMnist().resolve(name), localData.resolve("fashion/" + name));
    }
    for (String set : List.of("val-id", "mnist", "noise")) {
      Configuration conf = new Configuration();
      FileSystem local = FileSystem.getLocal(conf);
      FileUtil.copy(local, new org.apache.hadoop.fs.Path(demo.resolve(set).toUri()), local,
          new org.apache.hadoop.fs.Path(localData.resolve(set).toUri()), false, conf);
    }
    // Two shards "arrive" for the monitor: 200 MNIST images, written elsewhere and moved in whole.
    Path shards = tmp.resolve("shards");
    spark.read().parquet(demo.resolve("mnist").toString()).orderBy("image.path").limit(200).repartition(2)
        .write().parquet(shards.toString());
    Files.createDirectories(localData.resolve("incoming"));
    try (var files = Files.list(shards)) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList()) {
        Files.copy(f, localData.resolve("incoming/" + f.getFileName()));
      }
    }
    localOut = tmp.resolve("local-out");
    pipeline(localData.toString(), localOut.toString());

    hdfs = MiniHdfs.start(tmp.resolve("hdfs"));
    s3 = S3ProxyServer.start(tmp.resolve("s3proxy"));
    s3.createBucket("opnp");
    s3.configure(spark.sparkContext().hadoopConfiguration());
  }

  @AfterAll
  static void stop() {
    if (hdfs != null) {
      hdfs.shutdown();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  private static void ok(String... args) {
    StringWriter err = new StringWriter();
    assertEquals(0, OpnpCli.run(new PrintWriter(err, true), args), String.join(" ", args) + "\n" + err);
  }

  /** evaluate → detect → monitor, everything read from {@code data} and written under {@code out}. */
  private static void pipeline(String data, String out) {
    String model = data + "/models/fmnist-resnet.pt";
    ok("evaluate", "--master", "local[2]", "--model", model, "--train", "tr=idx:" + data
            + "/fashion/train-images-idx3-ubyte.gz", "--train-limit", "1000", "--limit", "300", "--knn-bank-size", "500",
        "--val-id", "val-id=parquet:" + data + "/val-id", "--val-limit", "600",
        "--id-test", "fm=idx:" + data + "/fashion/t10k-images-idx3-ubyte.gz", "--ood", "mnist=parquet:" + data + "/mnist",
        "--ood", "noise=folder:" + data + "/noise", "--output", out + "/evaluate");
    ok("detect", "--master", "local[2]", "--detector", out + "/evaluate/detector", "--model", model,
        "--input", "mnist=parquet:" + data + "/mnist", "--input", "noise=folder:" + data + "/noise", "--limit", "300",
        "--output", out + "/detect");
    ok("monitor", "--master", "local[2]", "--detector", out + "/evaluate/detector", "--model", model,
        "--watch", data + "/incoming", "--output", out + "/monitor", "--checkpoint", out + "/checkpoint",
        "--trigger-seconds", "0");
  }

  /** Copies the local data folder to {@code root}/opnp-data, runs the line there, compares it with the local run. */
  private static void runsThereAsLocally(String root) throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    org.apache.hadoop.fs.Path remoteData = new org.apache.hadoop.fs.Path(root + "/" + DATA);
    FileSystem fs = remoteData.getFileSystem(conf);
    assertTrue(FileUtil.copy(FileSystem.getLocal(conf), new org.apache.hadoop.fs.Path(localData.toUri()), fs,
        remoteData, false, conf));
    String out = root + "/out";
    pipeline(remoteData.toString(), out);

    assertEquals(json(localOut + "/evaluate/metrics.json").path("results"),
        json(out + "/evaluate/metrics.json").path("results"), "evaluate's metrics");
    JsonNode localDetector = json(localOut + "/evaluate/detector/detector.json");
    JsonNode remoteDetector = json(out + "/evaluate/detector/detector.json");
    for (String field : List.of("method", "threshold", "calibration_scores", "model")) {
      assertEquals(localDetector.path(field), remoteDetector.path(field), "detector.json " + field);
    }
    TreeMap<String, String> detectLocal = scores(localOut + "/detect/scores");
    assertEquals(400, detectLocal.size(), "300 MNIST and all 100 noise images");
    assertEquals(detectLocal, scores(out + "/detect/scores"), "detect's scores");
    TreeMap<String, String> monitorLocal = scores(localOut + "/monitor/scores");
    assertEquals(200, monitorLocal.size());
    assertEquals(monitorLocal, scores(out + "/monitor/scores"), "the monitor's scores");
    List<Row> monitorRows = spark.read().parquet(out + "/monitor/monitor")
        .selectExpr("sum(count)", "sum(scored)", "sum(flagged_ood)", "sum(quarantined)").collectAsList();
    assertEquals(spark.read().parquet(localOut + "/monitor/monitor")
        .selectExpr("sum(count)", "sum(scored)", "sum(flagged_ood)", "sum(quarantined)").collectAsList(), monitorRows);
    assertEquals(200L, monitorRows.get(0).getLong(0));

    List<String> written = new ArrayList<>();
    var it = fs.listFiles(new org.apache.hadoop.fs.Path(out), true);
    while (it.hasNext()) {
      written.add(it.next().getPath().toString());
    }
    for (String expected : List.of("/evaluate/metrics.json", "/evaluate/report.md", "/evaluate/detector/detector.json",
        "/detect/summary.json", "/checkpoint/metadata")) {
      assertTrue(written.stream().anyMatch(p -> p.endsWith(expected)), expected + " in " + written);
    }
    assertTrue(written.stream().noneMatch(p -> p.contains("_temporary") || p.contains(".tmp-")
        || p.contains("/_staging/")), "no staging left: " + written);
  }

  private static JsonNode json(String location) throws Exception {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location.contains(":") ? location
        : new java.io.File(location).toURI().toString());
    try (var in = p.getFileSystem(spark.sparkContext().hadoopConfiguration()).open(p)) {
      return new ObjectMapper().readTree(in);
    }
  }

  /** id (from the data folder on) → "dataset score is_ood skip_reason", exactly as written. */
  private static TreeMap<String, String> scores(String dir) {
    TreeMap<String, String> m = new TreeMap<>();
    for (Row r : spark.read().parquet(dir).selectExpr("id", "string(ood_score)", "string(is_ood)", "string(skip_reason)")
        .collectAsList()) {
      String id = r.getString(0);
      int at = id.indexOf("/" + DATA + "/");
      String key = at >= 0 ? id.substring(at + DATA.length() + 2) : id;
      assertEquals(null, m.put(key, r.getString(1) + " " + r.getString(2) + " " + r.getString(3)), "id " + key);
    }
    return m;
  }

  @Test
  void evaluateDetectAndMonitorWithEverythingOnHdfsEqualTheLocalRun() throws Exception {
    runsThereAsLocally(MiniHdfs.uri(hdfs) + "/opnp");
  }

  @Test
  void evaluateDetectAndMonitorWithEverythingOnS3EqualTheLocalRun() throws Exception {
    runsThereAsLocally("s3a://opnp");
  }
}
