package io.opnp.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.opnp.cli.JobOptionsAccess;
import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.data.Preprocess;
import io.opnp.io.Hashes;
import io.opnp.io.SensitivityStore;
import io.opnp.math.Sensitivity;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.SensitivityJob;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * Executors that cannot see the driver's disk: each Worker runs in its own mount namespace with a
 * tmpfs over the folders holding the models and the driver's model store, so the model can reach
 * the executors only through Spark. One application (as a notebook) then runs two different models
 * of the same file name, and a model replaced at the same path; each job must equal local mode with
 * the model it was given.
 */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class IsolatedWorkersTest {
  private static final int IMAGES = 1024;

  @TempDir
  Path tmp;

  @Test
  void executorsBlindToTheDriversDiskRunEachModelGivenEvenWhenNamesCollideOrTheFileIsReplaced() throws Exception {
    assumeTrue(LocalStandaloneCluster.canHide(), "needs root and unshare -m to hide the driver's disk from workers");
    Path models = Files.createDirectories(tmp.resolve("models"));
    Path a = Files.createDirectories(models.resolve("a")).resolve("fmnist-resnet.pt");
    Path b = Files.createDirectories(models.resolve("b")).resolve("fmnist-resnet.pt");
    Files.copy(TestData.demoModel(), a);
    Files.copy(TestData.demoModel().resolveSibling("fmnist-resnet.json"), a.resolveSibling("fmnist-resnet.json"));
    Path other = TestData.projectDir().resolve("src/test/resources/models/fmnist-resnet-bf16.pt");
    Files.copy(other, b);  // another model (bf16 weights), the same file name
    Path driverStore = tmp.resolve("driver-store");
    Path executorStore = tmp.resolve("executor-store");
    Path out = tmp.resolve("out");

    List<Sensitivity> expected = List.of(localSensitivity(a), localSensitivity(b), localSensitivity(b));
    assertTrue(expected.get(0).maxRelativeDifference(expected.get(1)) > 1e-3, "the two models must differ");

    try (LocalStandaloneCluster cluster = new LocalStandaloneCluster(tmp.resolve("cluster"), 2, 1,
        List.of(models, driverStore, executorStore))) {
      List<String> cmd = new ArrayList<>(ClusterTestSupport.javaCommand());
      cmd.addAll(List.of("-Xmx1g", "-Dai.djl.offline=true", "-Dopnp.model.store=" + driverStore));
      cmd.addAll(LocalStandaloneCluster.driverProperties());
      cmd.add("-Dspark.executor.extraJavaOptions="
          + ClusterTestSupport.executorJavaOptions("-Dopnp.model.store=" + executorStore));
      cmd.addAll(List.of(ModelSequenceDriver.class.getName(), cluster.masterUrl(),
          TestData.fashionTrainImages().toString(), String.valueOf(IMAGES), out.toString(),
          "run:" + a, "run:" + b,
          // re-exported at the same path (a model without a card: its old card goes too)
          "copy:" + b + ":" + a, "delete:" + a.resolveSibling("fmnist-resnet.json"), "run:" + a));
      Path log = tmp.resolve("driver.log");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
      ClusterTestSupport.cleanEnvironment(pb.environment());
      pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
      pb.environment().put("DJL_CACHE_DIR", ClusterTestSupport.djlCache());
      Process driver = pb.start();
      assertTrue(driver.waitFor(8, TimeUnit.MINUTES), "driver timed out; log " + log);
      assertEquals(0, driver.exitValue(), Files.readString(log));

      SparkSession spark = SparkTestSession.get();
      int[] steps = {4, 5, 8};
      for (int i = 0; i < steps.length; i++) {
        Sensitivity s = SensitivityStore.load(spark, out.resolve("step-" + steps[i]).toString());
        double d = expected.get(i).maxRelativeDifference(s);
        System.out.printf("isolated cluster vs local, step %d: max relative difference %.3g%n", steps[i], d);
        assertEquals(IMAGES, s.count());
        assertTrue(d <= 1e-9, "step " + steps[i] + " differs from local mode with its model by " + d);
      }
      // The executors took the models from Spark and checked them: never the driver's path.
      String executors = executorLogs(tmp.resolve("cluster"));
      for (Path m : List.of(a, b)) {
        String sha = Hashes.sha256(m);  // a now holds b's bytes; the first job's a is the demo model
        assertTrue(executors.contains("(sha256 " + sha + ") verified on executor"), "no executor verified " + sha);
      }
      assertTrue(executors.contains("(sha256 " + Hashes.sha256(TestData.demoModel()) + ") verified on executor"));
      assertTrue(!executors.contains(models.toString() + "/"), "an executor named the driver's model folder");
    }
  }

  private Sensitivity localSensitivity(Path model) {
    SparkSession spark = SparkTestSession.get();
    Dataset<Row> train = DatasetReader.read(spark, DatasetSpec.parse("fm=idx:" + TestData.fashionTrainImages()),
        IMAGES, 2);
    InferenceConfig cfg = new InferenceConfig(JobOptionsAccess.stage(model), "fc.weight", "fc.bias",
        Preprocess.grey(28, 28), 64, 1, 1.0, false);
    return SensitivityJob.run(spark, cfg, train);
  }

  private static String executorLogs(Path clusterDir) throws Exception {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> files = Files.walk(clusterDir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
        sb.append(Files.readString(f));
      }
    }
    return sb.toString();
  }
}
