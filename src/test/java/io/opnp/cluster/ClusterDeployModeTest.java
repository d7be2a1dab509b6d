package io.opnp.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.io.SensitivityStore;
import io.opnp.math.Sensitivity;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * {@code spark-submit --deploy-mode cluster} on a standalone cluster: the driver runs on a Worker
 * (Spark's DriverWrapper), where the command line must not call {@code System.exit}. A good job
 * ends FINISHED with its output; bad input ends FAILED with the CLI's message and exit code named.
 */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class ClusterDeployModeTest {
  @TempDir
  static Path tmp;

  private static LocalStandaloneCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = new LocalStandaloneCluster(tmp.resolve("cluster"), 1, 2);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aJobSubmittedInClusterModeFinishesAndBadInputFailsTheDriverWithTheCliMessage() throws Exception {
    Path out = tmp.resolve("sens");
    List<String> good = List.of("sensitivity", "--model", TestData.demoModel().toString(), "--train",
        "fm=idx:" + TestData.fashionTrainImages(), "--limit", "512", "--batch-size", "64", "--output", out.toString());
    assertEquals(0, submit("good", good), log("good"));
    JsonNode finished = awaitDriver(1);
    assertEquals("FINISHED", finished.path("state").asText(), finished.toString() + "\n" + driverLogs());
    Sensitivity s = SensitivityStore.load(SparkTestSession.get(), out.toString());
    assertEquals(512, s.count());

    Path missing = tmp.resolve("no-such-model.pt");
    List<String> bad = List.of("sensitivity", "--model", missing.toString(), "--train",
        "fm=idx:" + TestData.fashionTrainImages(), "--output", tmp.resolve("never").toString());
    submit("bad", bad);
    JsonNode failed = awaitDriver(2);
    assertEquals("FAILED", failed.path("state").asText(), failed.toString());
    String logs = driverLogs();
    assertTrue(logs.contains("opnp sensitivity: bad input: model file " + missing + " does not exist"), logs);
    assertTrue(logs.contains("opnp failed with exit code 2 (bad input"), logs);
    assertFalse(Files.exists(tmp.resolve("never")), "nothing may be written");
  }

  /** spark-submit in cluster deploy mode, waiting for the driver to end; returns the client's exit code. */
  private static int submit(String name, List<String> args) throws Exception {
    Path jar = tmp.resolve("app.jar");  // the primary resource; the classes come from extraClassPath
    if (!Files.exists(jar)) {
      new JarOutputStream(Files.newOutputStream(jar)).close();
    }
    String cp = System.getProperty("java.class.path");
    List<String> cmd = new ArrayList<>(ClusterTestSupport.javaCommand());
    cmd.addAll(List.of("-Xmx512m", "org.apache.spark.deploy.SparkSubmit", "--master", cluster.masterUrl(),
        "--deploy-mode", "cluster", "--class", "io.opnp.cli.OpnpCli", "--driver-memory", "1g",
        "--conf", "spark.driver.extraClassPath=" + cp, "--conf", "spark.executor.extraClassPath=" + cp,
        "--conf", "spark.driver.extraJavaOptions=" + ClusterTestSupport.executorJavaOptions(String.join(" ", opens())),
        "--conf", "spark.executor.extraJavaOptions=" + ClusterTestSupport.executorJavaOptions(""),
        "--conf", "spark.executor.memory=1g", "--conf", "spark.ui.enabled=false",
        "--conf", "spark.driverEnv.DJL_CACHE_DIR=" + ClusterTestSupport.djlCache(),
        "--conf", "spark.executorEnv.DJL_CACHE_DIR=" + ClusterTestSupport.djlCache(),
        "--conf", "spark.standalone.submit.waitAppCompletion=true", jar.toUri().toString()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log")
        .toFile());
    ClusterTestSupport.cleanEnvironment(pb.environment());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    assertTrue(p.waitFor(6, TimeUnit.MINUTES), "spark-submit did not return; " + log(name));
    return p.exitValue();
  }

  private static List<String> opens() {
    return ClusterTestSupport.javaCommand().stream().filter(a -> a.startsWith("--add-opens")
        || a.startsWith("-Djdk.reflect")).toList();
  }

  /** Waits until the Master lists {@code n} completed drivers; returns the newest. */
  private static JsonNode awaitDriver(int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline) {
      JsonNode done = new ObjectMapper().readTree(cluster.masterJson()).path("completeddrivers");
      if (done.size() >= n) {
        JsonNode newest = done.get(0);
        for (JsonNode d : done) {
          newest = d.path("id").asText().compareTo(newest.path("id").asText()) > 0 ? d : newest;
        }
        return newest;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("the Master lists fewer than " + n + " completed drivers: " + cluster.masterJson());
  }

  private static String log(String name) throws Exception {
    return Files.readString(tmp.resolve(name + ".log"));
  }

  private static String driverLogs() throws Exception {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> files = Files.walk(cluster.workDir(0))) {
      for (Path f : files.filter(p -> p.getParent().getFileName().toString().startsWith("driver-")
          && p.getFileName().toString().equals("stderr")).sorted().toList()) {
        sb.append("== ").append(f).append('\n').append(Files.readString(f));
      }
    }
    return sb.toString();
  }
}
