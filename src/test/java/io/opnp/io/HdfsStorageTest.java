package io.opnp.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.cli.OpnpCli;
import io.opnp.math.Sensitivity;
import io.opnp.testing.MiniHdfs;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * A real HDFS (Hadoop's MiniDFSCluster: a NameNode and a DataNode in this JVM) holding the model,
 * its card, the IDX datasets and every output: sensitivity and score read and write only there and
 * give what they give on local files.
 */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class HdfsStorageTest {
  private static final int LIMIT = 2000;

  @TempDir
  static Path tmp;

  private static MiniDFSCluster hdfs;
  private static String root;

  @BeforeAll
  static void startHdfs() throws Exception {
    hdfs = MiniHdfs.start(tmp.resolve("hdfs"));
    root = MiniHdfs.uri(hdfs) + "/opnp";
    FileSystem fs = hdfs.getFileSystem();
    Path fm = TestData.fashionMnist();
    for (Path local : List.of(TestData.demoModel(), TestData.demoModel().resolveSibling("fmnist-resnet.json"),
        fm.resolve("train-images-idx3-ubyte.gz"), fm.resolve("train-labels-idx1-ubyte.gz"),
        fm.resolve("t10k-images-idx3-ubyte.gz"), fm.resolve("t10k-labels-idx1-ubyte.gz"))) {
      String dir = local.getFileName().toString().endsWith(".gz") ? "/data/" : "/models/";
      fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toUri()),
          new org.apache.hadoop.fs.Path(root + dir + local.getFileName()));
    }
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  private static void ok(String... args) {
    StringWriter err = new StringWriter();
    assertEquals(0, OpnpCli.run(new PrintWriter(err, true), args), err.toString());
  }

  /** sensitivity, then score with the plan, all under {@code base} (local folder or HDFS), from {@code model}/{@code data}. */
  private static void pipeline(String model, String data, String base) {
    ok("sensitivity", "--master", "local[2]", "--model", model, "--train", "fm=idx:" + data
        + "/train-images-idx3-ubyte.gz", "--limit", String.valueOf(LIMIT), "--batch-size", "128",
        "--output", base + "/sensitivity");
    ok("score", "--master", "local[2]", "--model", model, "--sensitivity", base + "/sensitivity",
        "--id-test", "fm=idx:" + data + "/t10k-images-idx3-ubyte.gz", "--ood", "train=idx:" + data
        + "/train-images-idx3-ubyte.gz", "--limit", "1000", "--batch-size", "128", "--output", base + "/score");
  }

  @Test
  void sensitivityAndScoreWithModelDataAndOutputsOnlyOnHdfsEqualTheLocalRun() throws Exception {
    Path fm = TestData.fashionMnist();
    Path local = tmp.resolve("local");
    pipeline(TestData.demoModel().toString(), fm.toString(), local.toString());
    pipeline(root + "/models/fmnist-resnet.pt", root + "/data", root + "/out");

    SparkSession spark = SparkTestSession.get();
    Sensitivity a = SensitivityStore.load(spark, local.resolve("sensitivity").toString());
    Sensitivity b = SensitivityStore.load(spark, root + "/out/sensitivity");
    assertEquals(LIMIT, b.count());
    assertEquals(a.modelSha256(), b.modelSha256(), "the same model, by content");
    assertEquals(0.0, a.maxRelativeDifference(b), "HDFS and local sensitivities");

    FileSystem fs = hdfs.getFileSystem();
    JsonNode localMetrics = new ObjectMapper().readTree(local.resolve("score/metrics.json").toFile());
    JsonNode hdfsMetrics;
    try (var in = fs.open(new org.apache.hadoop.fs.Path(root + "/out/score/metrics.json"))) {
      hdfsMetrics = new ObjectMapper().readTree(in);
    }
    assertEquals(localMetrics.path("results"), hdfsMetrics.path("results"));
    assertTrue(hdfsMetrics.path("results").size() > 0, hdfsMetrics.toString());
    assertEquals(spark.read().parquet(local.resolve("score/scores").toString()).count(),
        spark.read().parquet(root + "/out/score/scores").count());
    List<String> written = new ArrayList<>();
    var it = fs.listFiles(new org.apache.hadoop.fs.Path(root + "/out"), true);
    while (it.hasNext()) {
      written.add(it.next().getPath().toString());
    }
    assertTrue(written.stream().anyMatch(p -> p.endsWith("score/metrics.md")), written.toString());
    assertTrue(written.stream().noneMatch(p -> p.contains("_temporary") || p.contains(".staging")), written.toString());
    assertTrue(Files.notExists(Path.of("/opnp")), "nothing of the HDFS run landed on the local disk");
  }
}
