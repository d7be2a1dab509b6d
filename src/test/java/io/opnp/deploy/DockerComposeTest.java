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

/**
 * No Docker engine runs on the build machines, so docker-compose.yml is checked for structure: the
 * official Spark 3.5 image, a master and CPU workers, a GPU worker with an NVIDIA reservation and
 * the discovery script, mounts that exist in the repository, and a submit line that names the jar
 * this build makes.
 */
class DockerComposeTest {
  @TempDir
  Path tmp;

  @SuppressWarnings("unchecked")
  private static Map<String, Object> compose() throws Exception {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(50);
    try (Reader r = Files.newBufferedReader(TestData.projectDir().resolve("docker-compose.yml"))) {
      return new Yaml(options).load(r);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> service(Map<String, Object> compose, String name) {
    Map<String, Object> services = (Map<String, Object>) compose.get("services");
    assertTrue(services.containsKey(name), "no service " + name + " in " + services.keySet());
    return (Map<String, Object>) services.get(name);
  }

  @Test
  @SuppressWarnings("unchecked")
  void servicesUseTheOfficialSparkImageWithTheProjectMounted() throws Exception {
    Map<String, Object> c = compose();
    Map<String, Object> services = (Map<String, Object>) c.get("services");
    assertTrue(services.size() >= 4, services.keySet().toString());
    for (Map.Entry<String, Object> e : services.entrySet()) {
      Map<String, Object> s = (Map<String, Object>) e.getValue();
      assertTrue(String.valueOf(s.get("image")).matches("apache/spark:3\\.5\\.\\d+-scala2\\.12-java17.*"),
          e.getKey() + " image " + s.get("image"));
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
  void submitLineNamesTheJarThisBuildMakes() throws Exception {
    String submit = String.valueOf(compose().get("x-opnp-submit"));
    String pom = Files.readString(TestData.projectDir().resolve("pom.xml"));
    Matcher artifact = Pattern.compile("<artifactId>(opnp-spark)</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
    assertTrue(artifact.find());
    String jar = "/opt/opnp/target/" + artifact.group(1) + "-" + artifact.group(2) + "-app.jar";
    assertTrue(submit.contains(jar), submit + " should name " + jar);
    assertTrue(submit.contains("--class io.opnp.cli.OpnpCli"), submit);
    assertTrue(submit.contains("--properties-file /opt/opnp/conf/spark-defaults.conf"), submit);
    assertFalse(submit.contains("local["), submit);
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
