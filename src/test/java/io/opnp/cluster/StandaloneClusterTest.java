package io.opnp.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.cli.OpnpCli;
import io.opnp.data.Png;
import io.opnp.io.SensitivityStore;
import io.opnp.math.Sensitivity;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * The jobs on a real multi-process standalone cluster (a Master, two Workers with one core each,
 * executors in their own JVMs) give the local-mode results, also when an executor is killed in the
 * middle of the sensitivity job.
 */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterTest {
  private static final int IMAGES = 8000;

  @TempDir
  static Path tmp;

  private static LocalStandaloneCluster cluster;
  private static Sensitivity local;
  private static String model;
  private static String train;

  @BeforeAll
  static void start() throws Exception {
    cluster = new LocalStandaloneCluster(tmp.resolve("cluster"), 2, 1);
    model = TestData.demoModel().toString();
    train = "fm-train=idx:" + TestData.fashionTrainImages();
    // The local-mode reference, in this JVM's local[2] session, one partition.
    Path out = tmp.resolve("local-sens");
    run(List.of("sensitivity", "--master", "local[2]", "--model", model, "--train", train, "--limit",
        String.valueOf(IMAGES), "--partitions", "1", "--batch-size", "64", "--output", out.toString()));
    local = SensitivityStore.load(SparkTestSession.get(), out.toString());
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static void run(List<String> args) {
    StringWriter err = new StringWriter();
    assertEquals(0, OpnpCli.run(new PrintWriter(err, true), args.toArray(String[]::new)), err.toString());
  }

  /** Runs a command in a driver JVM of its own against the cluster; returns its exit code. */
  private static Process clusterDriver(String name, List<String> args) throws IOException {
    return ClusterTestSupport.driver(cluster.masterUrl(), tmp.resolve(name + ".log"), args).start();
  }

  private static int await(Process p, String name) throws Exception {
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), name + " did not finish; log: " + tmp.resolve(name + ".log"));
    return p.exitValue();
  }

  private static List<String> sensitivityArgs(Path out, int partitions) {
    return List.of("sensitivity", "--model", model, "--train", train, "--limit", String.valueOf(IMAGES),
        "--partitions", String.valueOf(partitions), "--batch-size", "64", "--output", out.toString());
  }

  @Test
  @Order(1)
  void sensitivityOnTheClusterEqualsLocalModeForTwoAndSevenPartitions() throws Exception {
    Path two = tmp.resolve("cluster-sens-2");
    Path seven = tmp.resolve("cluster-sens-7");
    assertEquals(0, await(clusterDriver("sens-2", sensitivityArgs(two, 2)), "sens-2"), log("sens-2"));
    assertEquals(0, await(clusterDriver("sens-7", sensitivityArgs(seven, 7)), "sens-7"), log("sens-7"));
    SparkSession spark = SparkTestSession.get();
    Sensitivity s2 = SensitivityStore.load(spark, two.toString());
    Sensitivity s7 = SensitivityStore.load(spark, seven.toString());
    assertEquals(IMAGES, s2.count());
    System.out.printf("cluster vs local sensitivity: max relative difference %.3g (2 partitions), %.3g (7)%n",
        local.maxRelativeDifference(s2), local.maxRelativeDifference(s7));
    assertTrue(local.maxRelativeDifference(s2) <= 1e-12, "local vs cluster/2: " + local.maxRelativeDifference(s2));
    assertTrue(local.maxRelativeDifference(s7) <= 1e-12, "local vs cluster/7: " + local.maxRelativeDifference(s7));
    assertTrue(log("sens-7").contains("opnp sensitivity: ok"), log("sens-7"));
  }

  @Test
  @Order(2)
  void scoresOnTheClusterEqualLocalMode() throws Exception {
    Path noise = tmp.resolve("noise/0");
    Files.createDirectories(noise);
    Random r = new Random(5);
    byte[] px = new byte[784];
    for (int i = 0; i < 200; i++) {
      r.nextBytes(px);
      Files.write(noise.resolve("n" + i + ".png"), Png.encodeGrey(px, 28, 28));
    }
    String sens = tmp.resolve("local-sens").toString();
    List<String> common = List.of("score", "--model", model, "--sensitivity", sens, "--limit", "1000",
        "--batch-size", "64", "--id-test", "fm=idx:" + TestData.fashionTestImages(),
        "--ood", "noise=folder:" + tmp.resolve("noise"), "--output");
    Path clusterOut = tmp.resolve("cluster-score");
    List<String> clusterArgs = new ArrayList<>(common);
    clusterArgs.add(clusterOut.toString());
    assertEquals(0, await(clusterDriver("score", clusterArgs), "score"), log("score"));
    Path localOut = tmp.resolve("local-score");
    List<String> localArgs = new ArrayList<>(common);
    localArgs.add(localOut.toString());
    localArgs.addAll(List.of("--master", "local[2]"));
    run(localArgs);

    Map<String, double[]> a = scores(clusterOut);
    Map<String, double[]> b = scores(localOut);
    assertEquals(1200, a.size());
    assertEquals(a.keySet(), b.keySet());
    for (var e : a.entrySet()) {
      double[] x = e.getValue();
      double[] y = b.get(e.getKey());
      assertEquals(x[0], y[0], 1e-9 * Math.max(1, Math.abs(x[0])), "energy of " + e.getKey());
      assertEquals(x[1], y[1], 1e-9 * Math.max(1, Math.abs(x[1])), "opnp of " + e.getKey());
    }
    // The same metrics, byte for byte, but for the provenance, which says where the executors ran.
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var localMetrics = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(localOut.resolve("metrics.json").toFile());
    var clusterMetrics = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(clusterOut.resolve("metrics.json").toFile());
    assertTrue(localMetrics.remove("engine").get("executors").asText().startsWith("local mode"));
    assertTrue(clusterMetrics.remove("engine").get("executors").asText().startsWith("each executor JVM runs the same self-test"));
    assertEquals(json.writeValueAsString(localMetrics), json.writeValueAsString(clusterMetrics));
  }

  @Test
  @Order(3)
  void killingAnExecutorMidJobStillGivesTheIdenticalSensitivity() throws Exception {
    Path out = tmp.resolve("cluster-sens-killed");
    Sensitivity s = killAnExecutorDuring("sens-killed", sensitivityArgs(out, 16), out);
    File[] leftovers = tmp.toFile().listFiles((d, n) -> n.startsWith(".cluster-sens-killed"));
    assertEquals(0, leftovers == null ? 0 : leftovers.length, "staging left behind");
  }

  @Test
  @Order(4)
  void killingAnExecutorInTheOnePassCountsEveryImageOnceInSumsAndCache() throws Exception {
    // The one-pass job saves one file of sums per partition and merges them on the executors: a lost
    // executor's finished tasks must count once, and its unfinished ones once when rerun elsewhere.
    Path out = tmp.resolve("cluster-fused-killed");
    Path cache = tmp.resolve("cluster-fused-cache");
    List<String> args = new java.util.ArrayList<>(sensitivityArgs(out, 16));
    args.addAll(List.of("--cache-features", cache.toString()));
    killAnExecutorDuring("fused-killed", args, out);
    Row counts = SparkTestSession.get().read().parquet(cache.toString())
        .selectExpr("count(*)", "count(distinct id)").first();
    assertEquals(IMAGES, counts.getLong(0));
    assertEquals(IMAGES, counts.getLong(1));
  }

  @Test
  @Order(5)
  void executorsWhoseEngineComputesWrongStopTheJobWithExitThreeNamingTheFixAndNothingWritten() throws Exception {
    // The driver's engine is right; the executors' self-test fails in every mode (the fault brought
    // about in their JVMs only), as on a cluster whose workers are of another kind than the driver.
    Path out = tmp.resolve("cluster-sens-wrong");
    Process driver = ClusterTestSupport.driver(cluster.masterUrl(), tmp.resolve("wrong.log"), sensitivityArgs(out, 2),
        List.of("-Dspark.executor.extraJavaOptions="
            + ClusterTestSupport.executorJavaOptions("-Dopnp.numerics.simulate-fault=always"), "-Dspark.task.maxFailures=2")).start();
    assertEquals(3, await(driver, "wrong"), log("wrong"));
    String log = log("wrong");
    assertTrue(log.contains("opnp sensitivity: wrong numerics: libtorch computes wrong values on this machine"), log);
    String isa = ClusterTestSupport.fixIsa();
    assertTrue(log.contains("--conf spark.executorEnv.ONEDNN_MAX_CPU_ISA=" + isa), isa + " expected: " + log);
    assertTrue(!Files.exists(out), "nothing may be written");
  }

  /** Runs a driver, SIGKILLs an executor once it has finished a partition, checks the sensitivity. */
  private static Sensitivity killAnExecutorDuring(String name, List<String> args, Path out) throws Exception {
    Process driver = clusterDriver(name, args);
    long killed = -1;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    // Wait until an executor has finished a partition (the job is under way), then SIGKILL it.
    java.time.Instant driverStart = driver.toHandle().info().startInstant().orElseThrow();
    while (killed < 0 && driver.isAlive() && System.nanoTime() < deadline) {
      for (long pid : cluster.executorPids()) {
        // Only this driver's executors: one of the previous application may still be shutting down,
        // and killing it would go unnoticed by this driver.
        boolean ours = ProcessHandle.of(pid).flatMap(h -> h.info().startInstant())
            .map(t -> t.isAfter(driverStart)).orElse(false);
        if (ours && executorFinishedAPartition(pid)) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
          killed = pid;
          break;
        }
      }
      Thread.sleep(100);
    }
    assertTrue(killed > 0, "no executor was killed; driver log:\n" + log(name));
    System.out.printf("%s: killed executor pid %d after it finished a partition%n", name, killed);
    assertEquals(0, await(driver, name), log(name));
    String driverLog = log(name);
    assertTrue(driverLog.contains("Lost executor") || driverLog.contains("ExecutorLostFailure"),
        "the driver never noticed the kill:\n" + driverLog);
    Sensitivity s = SensitivityStore.load(SparkTestSession.get(), out.toString());
    assertEquals(IMAGES, s.count());
    System.out.printf("%s after the kill: m=%d, max relative difference to local mode %.3g; driver log lines on the "
            + "loss:%n%s%n", name, s.count(), local.maxRelativeDifference(s), driverLog.lines()
            .filter(l -> l.contains("Lost executor") || l.contains("ExecutorLostFailure") || l.contains("opnp sensitivity"))
            .limit(6).collect(java.util.stream.Collectors.joining("\n")));
    assertTrue(local.maxRelativeDifference(s) <= 1e-12, "after a kill: " + local.maxRelativeDifference(s));
    return s;
  }

  /** Whether the executor with this PID has logged a finished partition (its stderr in the worker's work dir). */
  private static boolean executorFinishedAPartition(long pid) throws IOException {
    String cmd = LocalStandaloneCluster.commandLine(pid);
    java.util.regex.Matcher app = java.util.regex.Pattern.compile("--app-id (\\S+)").matcher(cmd);
    java.util.regex.Matcher exec = java.util.regex.Pattern.compile("--executor-id (\\S+)").matcher(cmd);
    if (!app.find() || !exec.find()) {
      return false;
    }
    String suffix = app.group(1) + "/" + exec.group(1) + "/stderr";
    try (Stream<Path> files = Files.walk(tmp.resolve("cluster"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(suffix)).toList()) {
        if (Files.readString(f).contains(": done, ")) {
          return true;
        }
      }
    }
    return false;
  }

  private static Map<String, double[]> scores(Path out) {
    Map<String, double[]> m = new HashMap<>();
    for (Row r : SparkTestSession.get().read().parquet(out.resolve("scores").toString()).collectAsList()) {
      m.put(r.getAs("id"), new double[] {r.getAs("energy"), r.getAs("opnp")});
    }
    return m;
  }

  private static String log(String name) {
    try {
      return Files.readString(tmp.resolve(name + ".log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
