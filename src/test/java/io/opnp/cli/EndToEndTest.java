package io.opnp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.data.IdxFiles;
import io.opnp.data.ImageDecoder;
import io.opnp.data.Png;
import io.opnp.data.Preprocess;
import io.opnp.model.ImageBatch;
import io.opnp.model.ModelOutput;
import io.opnp.model.LoadedModels;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * The quickstart's pipeline through the command line on a few thousand real images in local[2]:
 * demo OOD sets, sensitivity over 2,000 Fashion-MNIST training images, prune + score of 1,000 ID
 * test images against MNIST, upside-down Fashion-MNIST and noise, with the committed model.
 */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class EndToEndTest {
  @TempDir
  Path tmp;

  private static int cli(String... args) {
    StringWriter err = new StringWriter();
    int code = OpnpCli.run(new PrintWriter(err, true), args);
    assertEquals(0, code, "opnp " + String.join(" ", args) + " failed:\n" + err);
    return code;
  }

  @Test
  void sensitivityThenScoreWritesScoresAndMetricsForEveryMethodAndOodSet() throws Exception {
    SparkSession spark = SparkTestSession.get();
    String model = TestData.demoModel().toString();
    Path data = tmp.resolve("data");
    cli("prepare-demo-data", "--master", "local[2]", "--mnist-package", TestData.mnistPackage().toString(),
        "--fashion-mnist", TestData.fashionMnist().toString(), "--output", data.toString(), "--noise-count", "300");
    String sens = tmp.resolve("sensitivity").toString();
    cli("sensitivity", "--master", "local[2]", "--model", model, "--limit", "2000", "--batch-size", "128",
        "--train", "fm-train=idx:" + TestData.fashionTrainImages(), "--output", sens);
    Path out = tmp.resolve("out");
    cli("score", "--master", "local[2]", "--model", model, "--sensitivity", sens, "--limit", "1000",
        "--batch-size", "128", "--id-test", "fashion-mnist=idx:" + TestData.fashionTestImages(),
        "--ood", "mnist=parquet:" + data.resolve("mnist"), "--ood", "fmnist-vflip=parquet:" + data.resolve("fmnist-vflip"),
        "--ood", "noise=folder:" + data.resolve("noise"), "--output", out.toString());

    JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    assertEquals("fashion-mnist", m.get("id_dataset").asText());
    assertTrue(m.get("id_accuracy").asDouble() > 0.85, "accuracy " + m.get("id_accuracy"));
    assertEquals(0.5, m.get("plan").get("rho_w_max").asDouble());
    assertEquals(30.0, m.get("plan").get("rho_o_max").asDouble());
    assertEquals(77, m.get("plan").get("pruned_neurons").asInt());
    // Provenance: the engine and the numerics mode this JVM settled on (whatever this machine needs).
    JsonNode engine = m.get("engine");
    assertEquals(io.opnp.model.EngineGuard.status().mode().id(), engine.get("numerics_mode").asText());
    assertEquals("2.5.1", engine.get("libtorch_version").asText());
    assertTrue(engine.get("self_test_passed").asBoolean());
    assertTrue(engine.get("executors").asText().startsWith("local mode"), engine.toString());
    String saved = io.opnp.io.SensitivityStore.engine(spark, sens);
    assertTrue(saved != null && saved.contains("\"numerics_mode\":\"" + engine.get("numerics_mode").asText() + "\""), saved);
    Set<String> seen = new HashSet<>();
    for (JsonNode r : m.get("results")) {
      seen.add(r.get("method").asText() + "/" + r.get("ood_dataset").asText());
      for (String k : List.of("fpr95", "auroc", "aupr_in", "aupr_out")) {
        double v = r.get(k).asDouble();
        assertTrue(v >= 0 && v <= 1, k + "=" + v);
      }
    }
    assertEquals(Set.of("energy/mnist", "energy/fmnist-vflip", "energy/noise", "opnp/mnist", "opnp/fmnist-vflip",
        "opnp/noise"), seen);
    assertTrue(Files.isRegularFile(out.resolve("metrics.md")));
    File[] leftovers = out.toFile().listFiles((d, n) -> n.contains(".tmp-"));
    assertEquals(0, leftovers.length, "staging leftovers");

    // Independent recomputation of the metrics from the per-sample scores: pairwise AUROC, FPR95 by definition.
    List<Row> rows = spark.read().parquet(out.resolve("scores").toString()).collectAsList();
    Map<String, List<Row>> by = new HashMap<>();
    for (Row r : rows) {
      by.computeIfAbsent(r.getAs("dataset"), k -> new java.util.ArrayList<>()).add(r);
    }
    assertEquals(1000, by.get("fashion-mnist").size());
    assertEquals(1000, by.get("mnist").size());
    assertEquals(300, by.get("noise").size());
    for (JsonNode r : m.get("results")) {
      String method = r.get("method").asText();
      double[] id = by.get("fashion-mnist").stream().mapToDouble(x -> x.<Double>getAs(method)).toArray();
      double[] ood = by.get(r.get("ood_dataset").asText()).stream().mapToDouble(x -> x.<Double>getAs(method)).toArray();
      double pairs = 0;
      for (double a : id) {
        for (double b : ood) {
          pairs += a > b ? 1 : a == b ? 0.5 : 0;
        }
      }
      assertEquals(pairs / ((double) id.length * ood.length), r.get("auroc").asDouble(), 1e-9, method + " auroc");
      double[] sorted = id.clone();
      java.util.Arrays.sort(sorted);
      double t = sorted[id.length - (int) Math.ceil(0.95 * id.length)];
      double fpr = java.util.Arrays.stream(ood).filter(v -> v >= t).count() / (double) ood.length;
      assertEquals(fpr, r.get("fpr95").asDouble(), 1e-12, method + " fpr95");
    }

    // The energy score is logsumexp of the model's own logits (run here directly through DJL).
    IdxFiles.Images im = IdxFiles.readImages(TestData.fashionTestImages(), 4);
    float[] x = new float[4 * 784];
    ImageDecoder dec = new ImageDecoder(Preprocess.grey(28, 28));
    for (int i = 0; i < 4; i++) {
      dec.decode(Png.encodeGrey(im.pixels()[i], 28, 28), x, i * 784);
    }
    ModelOutput direct;
    try (Predictor<ImageBatch, ModelOutput> p = LoadedModels.get(TestData.demoModel(), Device.cpu()).newPredictor()) {
      direct = p.predict(new ImageBatch(x, 4, 1, 28, 28));
    }
    Map<String, Row> byId = new HashMap<>();
    by.get("fashion-mnist").forEach(r -> byId.put(r.getAs("id"), r));
    for (int i = 0; i < 4; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < 10; c++) {
        max = Math.max(max, direct.logits()[i * 10 + c]);
      }
      double z = 0;
      for (int c = 0; c < 10; c++) {
        z += Math.exp(direct.logits()[i * 10 + c] - max);
      }
      double energy = byId.get("fashion-mnist/" + i).getAs("energy");
      assertEquals(max + Math.log(z), energy, 1e-4, "energy score of image " + i);
    }
  }
}
