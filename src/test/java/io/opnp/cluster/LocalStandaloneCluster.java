package io.opnp.cluster;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on 127.0.0.1 without a Spark distribution: a Master and N
 * Workers as separate JVMs started from the test classpath, executors in JVMs of their own
 * (DESIGN §5). {@code SPARK_HOME} points at a directory with an empty {@code jars/}; executors get
 * the classpath through {@code spark.executor.extraClassPath}. Everything is stopped by PID.
 */
final class LocalStandaloneCluster implements AutoCloseable {
  private final Path home;
  private final int port;
  private final int webPort;
  private final List<Process> daemons = new ArrayList<>();

  private final List<Path> hidden;

  LocalStandaloneCluster(Path workDir, int workers, int coresPerWorker) throws Exception {
    this(workDir, workers, coresPerWorker, List.of());
  }

  /**
   * As above, each Worker (and so its executors) in a mount namespace of its own with an empty
   * tmpfs over each of {@code hiddenFromWorkers}: they cannot see what the driver keeps there, as on
   * a real cluster where the driver's disk is not the executors'. Needs root ({@link #canHide()}).
   */
  LocalStandaloneCluster(Path workDir, int workers, int coresPerWorker, List<Path> hiddenFromWorkers) throws Exception {
    this.hidden = List.copyOf(hiddenFromWorkers);
    this.home = Files.createDirectories(workDir.resolve("spark-home"));
    Files.createDirectories(home.resolve("jars"));
    this.port = freePort();
    this.webPort = freePort();
    daemons.add(start("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
        "--port", String.valueOf(port), "--webui-port", String.valueOf(webPort))));
    waitForPort(port, 60);
    for (int i = 0; i < workers; i++) {
      Path work = Files.createDirectories(workDir.resolve("worker-" + i));
      daemons.add(start("worker-" + i, hidden, List.of("org.apache.spark.deploy.worker.Worker", masterUrl(),
          "--host", "127.0.0.1", "--cores", String.valueOf(coresPerWorker), "--memory", "2g",
          "--webui-port", String.valueOf(freePort()), "--work-dir", work.toString())));
    }
  }

  String masterUrl() {
    return "spark://127.0.0.1:" + port;
  }

  /** The Master's state as its web UI serves it (workers, applications, drivers). */
  String masterJson() throws IOException {
    try (var in = new java.net.URL("http://127.0.0.1:" + webPort + "/json/").openStream()) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  Path workDir(int worker) {
    return home.getParent().resolve("worker-" + worker);
  }

  /** Java system properties a driver needs to run on this cluster from the test classpath. */
  static List<String> driverProperties() {
    return List.of(
        "-Dspark.executor.extraClassPath=" + System.getProperty("java.class.path"),
        "-Dspark.executor.extraJavaOptions=" + ClusterTestSupport.executorJavaOptions(""),
        "-Dspark.executor.memory=1g",
        "-Dspark.driver.host=127.0.0.1",
        "-Dspark.ui.enabled=false",
        "-Dspark.executorEnv.DJL_CACHE_DIR=" + ClusterTestSupport.djlCache());
  }

  /** Whether this process may give children mount namespaces of their own (root, with unshare). */
  static boolean canHide() {
    try {
      Process p = new ProcessBuilder("unshare", "-m", "true").redirectErrorStream(true).start();
      return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private Process start(String name, List<String> mainAndArgs) throws IOException {
    return start(name, List.of(), mainAndArgs);
  }

  private Process start(String name, List<Path> hide, List<String> mainAndArgs) throws IOException {
    List<String> cmd = new ArrayList<>();
    if (!hide.isEmpty()) {
      // unshare makes the new namespace's mounts private: the tmpfs never shows in the driver's view.
      cmd.addAll(List.of("unshare", "-m", "--", "bash", "-c",
          "set -e; for d in $OPNP_HIDE; do mkdir -p \"$d\"; mount -t tmpfs -o size=2g opnp-hidden \"$d\"; done; "
              + "exec \"$@\"", "worker"));
    }
    cmd.addAll(ClusterTestSupport.javaCommand());
    cmd.add("-Xmx512m");
    cmd.addAll(mainAndArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    ClusterTestSupport.cleanEnvironment(env);
    env.put("SPARK_HOME", home.toString());
    env.put("SPARK_SCALA_VERSION", "2.12");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("DJL_CACHE_DIR", ClusterTestSupport.djlCache());
    env.put("OPNP_HIDE", String.join(" ", hide.stream().map(Path::toString).toList()));
    pb.redirectErrorStream(true);
    pb.redirectOutput(home.resolve(name + ".log").toFile());
    return pb.start();
  }

  Path log(String name) {
    return home.resolve(name + ".log");
  }

  /** PIDs of this cluster's executor JVMs (children of its workers). */
  List<Long> executorPids() {
    List<Long> pids = new ArrayList<>();
    for (Process d : daemons) {
      d.toHandle().descendants()
          .filter(p -> commandLine(p.pid()).contains("CoarseGrainedExecutorBackend"))
          .forEach(p -> pids.add(p.pid()));
    }
    return pids;
  }

  /** The full command line from /proc (ProcessHandle.Info truncates long ones on Linux). */
  static String commandLine(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"))).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void waitForPort(int port, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(200);
      }
    }
    throw new IllegalStateException("Spark master did not open port " + port + " within " + seconds + " s");
  }

  @Override
  public void close() {
    for (Process d : daemons) {
      d.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      d.destroyForcibly();
    }
    for (Process d : daemons) {
      try {
        d.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static String classpath() {
    return System.getProperty("java.class.path");
  }

  static String pathSeparator() {
    return File.pathSeparator;
  }
}
