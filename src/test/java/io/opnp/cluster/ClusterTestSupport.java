package io.opnp.cluster;

import io.opnp.testing.TestData;
import java.util.ArrayList;
import java.util.List;

/** The Java command line for child JVMs: the test classpath and the module flags Spark needs. */
final class ClusterTestSupport {
  private ClusterTestSupport() {}

  static String djlCache() {
    String env = System.getenv("DJL_CACHE_DIR");
    return env != null ? env : TestData.projectDir().resolve("target/djl-cache").toString();
  }

  static String log4j() {
    return TestData.projectDir().resolve("src/test/resources/log4j2.properties").toString();
  }

  /**
   * Settings a developer's shell may hold that change what the numerics guard decides or how
   * oneDNN computes: child JVMs start without them, so each test sees the guard's own choice.
   */
  static final List<String> NUMERICS_ENVIRONMENT = List.of("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "OPNP_NUMERICS",
      "ONEDNN_DEFAULT_FPMATH_MODE", "DNNL_DEFAULT_FPMATH_MODE", "OMP_NUM_THREADS");

  static void cleanEnvironment(java.util.Map<String, String> env) {
    NUMERICS_ENVIRONMENT.forEach(env::remove);
  }

  /** The executors' JVM options as production's conf/spark-defaults.conf gives them, plus {@code extra}. */
  static String executorJavaOptions(String extra) {
    return "-Dai.djl.offline=true --add-modules=jdk.incubator.vector -Dlog4j2.configurationFile=" + log4j()
        + (extra.isEmpty() ? "" : " " + extra);
  }

  /**
   * The ISA a failed-numerics message tells users to cap oneDNN at: SSE41 where the guard already
   * started capped at AVX2 (a CPU known to trip oneDNN), else AVX2 (NumericsPolicy.fix).
   */
  static String fixIsa() {
    return io.opnp.numerics.CpuInfo.read().knownToTrip() ? "SSE41" : "AVX2";
  }

  static List<String> javaCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("--add-modules=jdk.incubator.vector");
    for (String open : List.of("java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio",
        "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch",
        "sun.nio.cs", "sun.security.action", "sun.util.calendar")) {
      cmd.add("--add-opens=java.base/" + open + "=ALL-UNNAMED");
    }
    cmd.add("--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED");
    cmd.add("-Djdk.reflect.useDirectMethodHandle=false");
    cmd.add("-Dlog4j2.configurationFile=" + log4j());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    return cmd;
  }

  /** A driver JVM running the opnp command line against {@code master}. */
  static ProcessBuilder driver(String master, java.nio.file.Path log, List<String> args) {
    return driver(master, log, args, List.of());
  }

  /** As above, with more driver JVM properties (later ones override the cluster's defaults). */
  static ProcessBuilder driver(String master, java.nio.file.Path log, List<String> args, List<String> properties) {
    List<String> cmd = new ArrayList<>(javaCommand());
    cmd.add("-Xmx1g");
    cmd.add("-Dai.djl.offline=true");
    cmd.addAll(LocalStandaloneCluster.driverProperties());
    cmd.addAll(properties);
    cmd.add("io.opnp.cli.OpnpCli");
    cmd.addAll(args);
    cmd.add("--master");
    cmd.add(master);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    cleanEnvironment(pb.environment());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("DJL_CACHE_DIR", djlCache());
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    return pb;
  }
}
