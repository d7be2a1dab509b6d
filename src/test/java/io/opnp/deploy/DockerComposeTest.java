package io.opnp.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.testing.TestData;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.junit.jupiter.api.Tag;

/**
 * No Docker engine runs on the build machines, so docker-compose.yml is checked for structure: the
 * official Spark image of each line (3.5 by default, Spark 4 with conf/spark-4.env's variables),
 * a master and CPU workers, a GPU worker with an NVIDIA reservation and the discovery script,
 * mounts that exist in the repository, and a submit line that names the jar each line's build makes.
 */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class DockerComposeTest {
  @TempDir
  Path tmp;

  /** A Spark line as docker compose sees it: the variables of its env file (none for 3.5). */
  private record Line(String env, String imagePattern, String profile) {}

  private static final List<Line> LINES = List.of(
      new Line(null, "apache/spark:3\\.5\\.\\d+-scala2\\.12-java17.*", "spark-3.5"),
      new Line("conf/spark-4.env", "apache/spark:4\\.\\d+\\.\\d+-scala2\\.13-java17.*", "spark-4"));

  private static Map<String, Object> compose() throws Exception {
    return compose(LINES.get(0));
  }

  /** docker-compose.yml with {@code ${VAR:-default}} substituted as docker compose does with the line's env file. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> compose(Line line) throws Exception {
    java.util.Properties vars = new java.util.Properties();
    if (line.env() != null) {
      try (Reader r = Files.newBufferedReader(TestData.projectDir().resolve(line.env()))) {
        vars.load(r);
      }
    }
    String text = Files.readString(TestData.projectDir().resolve("docker-compose.yml"));
    Matcher m = Pattern.compile("\\$\\{([A-Z_]+):-([^}]*)}").matcher(text);
    StringBuilder resolved = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(resolved, Matcher.quoteReplacement(vars.getProperty(m.group(1), m.group(2))));
    }
    m.appendTail(resolved);
    assertFalse(resolved.toString().contains("${"), "an unresolved variable in docker-compose.yml");
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(50);
    return new Yaml(options).load(resolved.toString());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> service(Map<String, Object> compose, String name) {
    Map<String, Object> services = (Map<String, Object>) compose.get("services");
    assertTrue(services.containsKey(name), "no service " + name + " in " + services.keySet());
    return (Map<String, Object>) services.get(name);
  }

  @Test
  @SuppressWarnings("unchecked")
  void servicesUseTheOfficialSparkImageOfEachLineWithTheProjectMounted() throws Exception {
    for (Line line : LINES) {
      Map<String, Object> c = compose(line);
      Map<String, Object> services = (Map<String, Object>) c.get("services");
      assertTrue(services.size() >= 4, services.keySet().toString());
      for (Map.Entry<String, Object> e : services.entrySet()) {
        Map<String, Object> s = (Map<String, Object>) e.getValue();
        assertTrue(String.valueOf(s.get("image")).matches(line.imagePattern()),
            line.profile() + ": " + e.getKey() + " image " + s.get("image"));
        List<String> volumes = (List<String>) s.get("volumes");
        for (String v : volumes) {
          String host = v.split(":")[0];
          if (host.startsWith("./")) {
            String dir = host.substring(2);
            assertTrue(dir.equals("target") || Files.exists(TestData.projectDir().resolve(dir)),
                e.getKey() + " mounts a missing path " + host);
          }
        }
        List<String> command = (List<String>) s.get("command");
        assertTrue(command.get(0).equals("/opt/spark/bin/spark-class"), e.getKey() + ": " + command);
      }
    }
    Map<String, Object> c = compose();
    assertEquals("org.apache.spark.deploy.master.Master", ((List<String>) service(c, "spark-master").get("command")).get(1));
    for (String w : List.of("spark-worker-1", "spark-worker-2", "spark-worker-gpu")) {
      List<String> cmd = (List<String>) service(c, w).get("command");
      assertEquals("org.apache.spark.deploy.worker.Worker", cmd.get(1));
      assertEquals("spark://spark-master:7077", cmd.get(2));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void gpuWorkerReservesAnNvidiaDeviceAndDiscoversItsGpus() throws Exception {
    Map<String, Object> gpu = service(compose(), "spark-worker-gpu");
    assertEquals(List.of("gpu"), gpu.get("profiles"));
    Map<String, Object> devices = ((List<Map<String, Object>>) ((Map<String, Object>) ((Map<String, Object>)
        ((Map<String, Object>) gpu.get("deploy")).get("resources")).get("reservations")).get("devices")).get(0);
    assertEquals("nvidia", devices.get("driver"));
    assertEquals(List.of("gpu"), devices.get("capabilities"));
    String opts = String.valueOf(((Map<String, Object>) gpu.get("environment")).get("SPARK_WORKER_OPTS"));
    assertTrue(opts.contains("-Dspark.worker.resource.gpu.amount=1"), opts);
    Matcher m = Pattern.compile("discoveryScript=/opt/opnp/(\\S+)").matcher(opts);
    assertTrue(m.find(), opts);
    Path script = TestData.projectDir().resolve(m.group(1));
    assertTrue(Files.isExecutable(script), script + " must exist and be executable");
  }

  @Test
  void discoveryScriptPrintsSparkResourceJson() throws Exception {
    Path script = TestData.projectDir().resolve("conf/gpu-discovery.sh");
    // A stand-in nvidia-smi on the PATH, as on a host with two GPUs.
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path smi = bin.resolve("nvidia-smi");
    Files.writeString(smi, "#!/bin/sh\nprintf '0\\n1\\n'\n");
    smi.toFile().setExecutable(true);
    for (boolean withGpus : new boolean[] {true, false}) {
      ProcessBuilder pb = new ProcessBuilder("bash", script.toString());
      pb.environment().put("PATH", (withGpus ? bin + ":" : "") + "/usr/bin:/bin");
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes());
      assertEquals(0, p.waitFor());
      JsonNode json = new ObjectMapper().readTree(out);
      assertEquals("gpu", json.get("name").asText());
      assertEquals(withGpus ? "[\"0\",\"1\"]" : "[]", json.get("addresses").toString());
    }
  }

  @Test
  void submitLineNamesTheJarEachLinesBuildMakesAndTheImageRunsThatSpark() throws Exception {
    String pom = Files.readString(TestData.projectDir().resolve("pom.xml"));
    Matcher artifact = Pattern.compile("<artifactId>(opnp-spark)</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
    assertTrue(artifact.find());
    for (Line line : LINES) {
      Map<String, Object> c = compose(line);
      String submit = String.valueOf(c.get("x-opnp-submit"));
      // The profile's own properties (the defaults for spark-3.5): the jar's name and the Spark version.
      String props = line.profile().equals("spark-3.5") ? pom.substring(0, pom.indexOf("<dependencies>"))
          : pom.substring(pom.indexOf("<id>" + line.profile() + "</id>"));
      String sparkLine = tag(props, "spark.line");
      String jar = "/opt/opnp/target/" + artifact.group(1) + "-" + sparkLine + "_" + tag(props, "scala.binary.version")
          + "-" + artifact.group(2) + "-app.jar";
      assertTrue(submit.contains(jar), line.profile() + ": " + submit + " should name " + jar);
      assertTrue(String.valueOf(c.get("x-opnp-submit-gpu")).contains(jar), line.profile() + ": GPU submit line");
      String image = String.valueOf(service(c, "spark-master").get("image"));
      assertTrue(image.startsWith("apache/spark:" + tag(props, "spark.version") + "-"),
          line.profile() + ": image " + image + " should run the Spark the jar is built against");
      assertTrue(submit.contains("--class io.opnp.cli.OpnpCli"), submit);
      assertTrue(submit.contains("--properties-file /opt/opnp/conf/spark-defaults.conf"), submit);
      assertFalse(submit.contains("local["), submit);
    }
  }

  private static String tag(String xml, String name) {
    Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">").matcher(xml);
    assertTrue(m.find(), "no <" + name + "> in the profile");
    return m.group(1);
  }

  @Test
  void gpuSubmitLineAsksSparkForAGpuPerExecutorAndSharesItAmongTasks() throws Exception {
    String submit = String.valueOf(compose().get("x-opnp-submit-gpu"));
    Matcher m = Pattern.compile("--properties-file /opt/opnp/(\\S+)").matcher(submit);
    assertTrue(m.find(), submit);
    java.util.Properties p = new java.util.Properties();
    try (Reader r = Files.newBufferedReader(TestData.projectDir().resolve(m.group(1)))) {
      p.load(r);
    }
    assertEquals("1", p.getProperty("spark.executor.resource.gpu.amount"));
    double perTask = Double.parseDouble(p.getProperty("spark.task.resource.gpu.amount"));
    int cores = Integer.parseInt(p.getProperty("spark.executor.cores"));
    assertEquals(1.0, perTask * cores, 1e-12, "tasks per executor times GPU share per task");
    assertEquals("/opt/opnp/conf/gpu-discovery.sh", p.getProperty("spark.executor.resource.gpu.discoveryScript"));
  }
}
