package io.opnp.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opnp.cluster.ClusterTestAccess;
import io.opnp.io.SensitivityStore;
import io.opnp.math.Sensitivity;
import io.opnp.numerics.CpuInfo;
import io.opnp.testing.CliRun;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safe modes and the failure path, each in a JVM of its own (the numerics are settled once per
 * JVM). This machine may not have the fault, so it is brought about: a CPU treated as hiding its
 * caches ({@code opnp.cpu.cache-visible=false}) takes the real ISA cap; outputs corrupted with NaN
 * while libtorch has oneDNN enabled, as the fault corrupts them ({@code opnp.numerics.simulate-fault}),
 * take the real run-time switch. The mode chosen for a CPU hiding its caches depends on its ISA (avx2
 * with AVX-512, default without), so that test asserts the branch this CPU takes; the cap itself is
 * forced and checked on every x86 CPU with AVX2. Results in every mode are compared with this JVM's.
 */
class NumericsModesTest {
  private static SparkSession spark;
  private static String train;
  private static Sensitivity reference;

  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  @BeforeAll
  static void referenceInThisJvm() {
    spark = SparkTestSession.get();
    train = "fm=idx:" + TestData.fashionTrainImages();
    Path out = shared.resolve("reference");
    CliRun r = CliRun.of(sensitivityArgs(out));
    assertEquals(0, r.code(), r.err());
    reference = SensitivityStore.load(spark, out.toString());
  }

  private static String[] sensitivityArgs(Path out) {
    return new String[] {"sensitivity", "--model", TestData.demoModel().toString(), "--train", train, "--limit", "1024",
        "--batch-size", "128", "--output", out.toString(), "--master", "local[2]"};
  }

  /** Runs the command line in a child JVM with {@code props}; returns exit code and everything it printed. */
  private Run fork(List<String> props, String... args) throws Exception {
    return fork(props, java.util.Map.of(), args);
  }

  private Run fork(List<String> props, java.util.Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(ClusterTestAccess.javaCommand());
    cmd.add("-Xmx1g");
    cmd.add("-Dai.djl.offline=true");
    cmd.addAll(props);
    cmd.add("io.opnp.cli.OpnpCli");
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(tmp, "child", ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("DJL_CACHE_DIR", ClusterTestAccess.djlCache());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    ClusterTestAccess.cleanEnvironment(pb.environment());
    pb.environment().putAll(env);
    Process p = pb.start();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child JVM timed out: " + cmd);
    Run r = new Run(p.exitValue(), Files.readString(log));
    System.out.println("exit " + r.code + ": " + r.log.lines().filter(l -> l.contains("numerics") || l.contains("opnp "))
        .findFirst().orElse(""));
    return r;
  }

  private record Run(int code, String log) {}

  private void assertSameSensitivity(Path out, Run r) {
    assertEquals(0, r.code(), r.log());
    Sensitivity s = SensitivityStore.load(spark, out.toString());
    assertEquals(reference.count(), s.count());
    double d = reference.maxRelativeDifference(s);
    assertTrue(d <= 1e-4, "safe-mode sensitivity differs from this JVM's by " + d);
  }

  @Test
  void onACpuHidingItsCachesTheGuardCapsOnednnAtAvx2ExactlyWhenTheCpuHasAvx512() throws Exception {
    Path out = tmp.resolve("hidden");
    Run r = fork(List.of("-Dopnp.cpu.cache-visible=false"), sensitivityArgs(out));
    CpuInfo cpu = CpuInfo.read();
    if (cpu.x86() && cpu.avx512()) {
      assertTrue(r.log().contains("numerics OK: avx2 (this "), r.log());
    } else {
      // AVX2-only (or not x86): nothing to cap, and the log says why.
      assertTrue(r.log().contains("numerics OK: default (" + cpu.tripReason().substring(0, 30)), r.log());
    }
    assertTrue(r.log().contains("golden outputs of its card reproduced"), r.log());
    assertSameSensitivity(out, r);
  }

  @Test
  void theAvx2CapRunsOnlyAvx2KernelsAndGivesTheSameNumbers() throws Exception {
    CpuInfo cpu = CpuInfo.read();
    assumeTrue(cpu.x86() && cpu.flags().contains("avx2"), "the AVX2 cap needs an x86 CPU with AVX2: " + cpu.describe());
    Path out = tmp.resolve("avx2");
    // Forced, so that the cap is exercised on every CPU (auto chooses it only on AVX-512 CPUs hiding their caches);
    // oneDNN's own log says which kernels it really ran: AVX2 ones, never AVX-512 ones.
    Run r = fork(List.of("-Dopnp.numerics=avx2"), java.util.Map.of("ONEDNN_VERBOSE", "1"), sensitivityArgs(out));
    assertTrue(r.log().contains("numerics OK: avx2 (forced"), r.log());
    assertTrue(r.log().contains("onednn_verbose,info,cpu,isa:Intel AVX2\n"), "oneDNN did not report the AVX2 cap");
    assertTrue(r.log().contains("exec,cpu,convolution,jit:avx2"), "no AVX2 convolution ran");
    assertFalse(r.log().contains("jit:avx512"), "an AVX-512 kernel ran under the cap");
    assertSameSensitivity(out, r);
    String engine = SensitivityStore.engine(spark, out.toString());
    assertTrue(engine.contains("\"numerics_mode\":\"avx2\""), "recorded with the sensitivity: " + engine);
  }

  @Test
  void aSelfTestFailingWithOnednnSwitchesItOffAndTheJobGoesOn() throws Exception {
    Path out = tmp.resolve("fallback");
    Run r = fork(List.of("-Dopnp.numerics.simulate-fault=onednn"), sensitivityArgs(out));
    assertTrue(r.log().contains("the self-test FAILED in numerics mode "), r.log());
    assertTrue(r.log().contains("numerics OK: no-onednn (the self-test failed in mode "), r.log());
    assertSameSensitivity(out, r);
  }

  @Test
  void whenNoModeComputesRightTheJobStopsWithExitThreeNamingTheFixAndWritesNothing() throws Exception {
    Path out = tmp.resolve("never");
    Run r = fork(List.of("-Dopnp.numerics.simulate-fault=always"), sensitivityArgs(out));
    assertEquals(3, r.code(), r.log());
    assertTrue(r.log().contains("opnp sensitivity: wrong numerics: libtorch computes wrong values on this machine"), r.log());
    assertTrue(r.log().contains("--conf spark.executorEnv.ONEDNN_MAX_CPU_ISA=" + ClusterTestAccess.fixIsa()), r.log());
    assertFalse(Files.exists(out), "nothing may be written");
  }

  @Test
  void doctorSaysRightOrWrongWithItsExitCode() throws Exception {
    Run ok = fork(List.of(), "doctor", "--probe-seconds", "1");
    assertEquals(0, ok.code(), ok.log());
    assertTrue(ok.log().contains("opnp doctor: results will be RIGHT; numerics OK"), ok.log());
    assertTrue(ok.log().contains("  known to trip oneDNN: " + (CpuInfo.read().knownToTrip() ? "yes" : "no") + " ("
        + CpuInfo.read().tripReason() + ")"), ok.log());
    for (String line : new String[] {"  cpu:", "  engine:       PyTorch", "oneDNN 3.", "  numerics:", "  self-test:    passed",
        "  gpu:", "golden outputs reproduced", "  throughput:"}) {
      assertTrue(ok.log().contains(line), line + " missing:\n" + ok.log());
    }
    Run bad = fork(List.of("-Dopnp.numerics.simulate-fault=always"), "doctor", "--probe-seconds", "0");
    assertEquals(3, bad.code(), bad.log());
    assertTrue(bad.log().contains("opnp doctor: results will be WRONG"), bad.log());
    // SSE41 where the guard started capped at AVX2 already (a CPU known to trip oneDNN).
    String isa = ClusterTestAccess.fixIsa();
    assertTrue(bad.log().contains(isa.equals("AVX2") ? "fix:          start the JVMs with ONEDNN_MAX_CPU_ISA=AVX2"
        : "fix:          the AVX2 cap did not help here either: start the JVMs with ONEDNN_MAX_CPU_ISA=SSE41"),
        bad.log());
  }

  @Test
  void aCardThatDisagreesWithItsModelInEveryModeIsBadInput() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("tampered"));
    Path model = dir.resolve("fmnist-resnet.pt");
    Files.copy(TestData.demoModel(), model);
    ObjectMapper json = new ObjectMapper();
    ObjectNode card = (ObjectNode) json.readTree(TestData.demoModel().resolveSibling("fmnist-resnet.json").toFile());
    ObjectNode logits = (ObjectNode) card.path("golden").path("logits");
    ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(logits.path("float32_le_base64").asText()))
        .order(ByteOrder.LITTLE_ENDIAN);
    b.putFloat(0, b.getFloat(0) + 1f);  // one logit off by 1: as if the engine computed it wrong
    logits.put("float32_le_base64", Base64.getEncoder().encodeToString(b.array()));
    json.writeValue(dir.resolve("fmnist-resnet.json").toFile(), card);
    Run r = fork(List.of(), "doctor", "--model", model.toString(), "--probe-seconds", "0");
    // First taken for the engine's fault (oneDNN off, checked again); the outputs do not move, so the card is wrong.
    assertTrue(r.log().contains("the golden outputs of fmnist-resnet.pt FAILED in numerics mode "), r.log());
    assertEquals(2, r.code(), r.log());
    assertTrue(r.log().contains("gives the same outputs with oneDNN on and off, and they differ from the golden outputs "
        + "in its card " + dir.resolve("fmnist-resnet.json")), r.log());
    assertTrue(r.log().contains("the card belongs to another export of the model"), r.log());
  }
}
