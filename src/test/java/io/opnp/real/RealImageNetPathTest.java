package io.opnp.real;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.data.Preprocess;
import io.opnp.spark.FeatureCacheJob;
import io.opnp.spark.InferenceConfig;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real path on a real ImageNet classifier: real JPEGs (colour, greyscale, progressive, of every size) decoded on
 * the executors, resized with PIL's filter and centre-cropped, through EfficientNet-Lite0 on libtorch and, exported as
 * ONNX, on ONNX Runtime, against
 * PyTorch's own loop over the same files (torchvision's transforms on PIL images, PyTorch 1.13). Needs the model and
 * PyTorch's reference, which jobs/test makes with jobs/export-efficientnet-lite when ../shared/datasets/real-imagenet
 * is there (target/real-imagenet/model); skipped, saying so, where they are absent.
 */
class RealImageNetPathTest {
  /**
   * Features equal to PyTorch's within this, relative to the image's largest feature. Measured on an AVX2 CPU (AMD
   * EPYC, Zen 3): equal bit for bit (ImageIO and libjpeg-turbo decode alike, PIL's resize is computed as PIL does,
   * libtorch 2.5 and PyTorch 1.13 run the same kernels); other CPUs may pick other kernels, off in the last bits.
   */
  static final double FEATURE_TOLERANCE = 1e-3;

  @TempDir
  Path tmp;

  /** The TorchScript export on libtorch, and its ONNX export (jobs/export-efficientnet-lite --onnx) on ONNX Runtime. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"efficientnet-lite0.pt", "onnx/efficientnet-lite0.onnx"})
  void realPhotographsGiveTheFeaturesAndPredictionsOfPyTorchsOwnLoop(String file) throws Exception {
    Path model = TestData.projectDir().resolve("target/real-imagenet/model");
    Path shared = TestData.projectDir().resolve("../shared/datasets/real-imagenet").normalize();
    Assumptions.assumeTrue(Files.isDirectory(shared), "no real ImageNet photographs at " + shared);
    Assumptions.assumeTrue(Files.isRegularFile(model.resolve(file)),
        "no exported EfficientNet-Lite0 at " + model.resolve(file) + ": jobs/export-efficientnet-lite makes it "
            + "(jobs/test runs it, with --onnx)");
    List<Path> refs = new ArrayList<>();
    try (var s = Files.list(model.resolve("reference"))) {
      s.filter(p -> p.toString().endsWith(".jsonl")).sorted().forEach(refs::add);
    }
    Assumptions.assumeFalse(refs.isEmpty(), "no PyTorch reference under " + model.resolve("reference"));
    SparkSession spark = SparkTestSession.get();
    JsonNode card = new ObjectMapper().readTree(model.resolve("efficientnet-lite0.json").toFile());
    float[] mean = floats(card.get("preprocessing").get("mean"));
    float[] std = floats(card.get("preprocessing").get("std"));
    InferenceConfig cfg = new InferenceConfig(io.opnp.cli.JobOptionsAccess.stage(model.resolve(file)),
        "_fc.weight", "_fc.bias", new Preprocess(3, 224, 224, mean, std, 256).withResampling(Preprocess.Resampling.PIL),
        16, 1, 1.0, false);
    int images = 0;
    int agree = 0;
    int correctOurs = 0;
    int correctTorch = 0;
    double worst = 0;
    String worstImage = null;
    int identical = 0;
    for (Path ref : refs) {
      String set = ref.getFileName().toString().replace(".jsonl", "");
      JsonNode summary = new ObjectMapper().readTree(ref.resolveSibling(set + ".json").toFile());
      Path root = Path.of(summary.get("root").asText());
      Map<String, JsonNode> expected = new HashMap<>();
      for (String line : Files.readAllLines(ref)) {
        JsonNode r = new ObjectMapper().readTree(line);
        expected.put(r.get("path").asText(), r);
      }
      String cache = tmp.resolve("cache-" + set + "-" + file.replace('/', '-')).toString();
      // ImageNet's sets are named by class index; OOD sets by category (their labels do not matter here).
      boolean indexed;
      try (var dirs = Files.list(root)) {
        indexed = dirs.filter(Files::isDirectory).allMatch(d -> d.getFileName().toString().matches("[0-9]+"));
      }
      var rows = DatasetReader.read(spark, DatasetSpec.parse(set + (indexed ? "=indexed-folder:" : "=folder:") + root),
          expected.size(), 0);
      FeatureCacheJob.run(spark, cfg, FeatureCacheJob.Inputs.of(List.of(rows)), List.of(set), cache, false);
      for (Row r : FeatureCacheJob.read(spark, cache).collectAsList()) {
        String id = r.getAs("id");
        String rel = root.relativize(Path.of(java.net.URI.create(id))).toString();
        JsonNode want = expected.get(rel);
        if (want == null) {
          continue;  // beyond the reference's limit
        }
        images++;
        List<Float> f = r.getList(r.fieldIndex("features"));
        List<Float> l = r.getList(r.fieldIndex("logits"));
        float[] torch = decode(want.get("features").asText());
        assertEquals(torch.length, f.size(), rel);
        double max = 0;
        double diff = 0;
        for (int j = 0; j < torch.length; j++) {
          max = Math.max(max, Math.abs(torch[j]));
          diff = Math.max(diff, Math.abs(torch[j] - f.get(j)));
        }
        identical += diff == 0 ? 1 : 0;
        if (diff != 0) {
          System.out.printf("real path: %s/%s differs from PyTorch's features by %.3g of its largest%n", set, rel,
              diff / max);
        }
        if (worstImage == null || diff / max > worst) {
          worst = diff / max;
          worstImage = set + "/" + rel;
        }
        int ours = argmax(l);
        agree += ours == want.get("prediction").asInt() ? 1 : 0;
        if (indexed) {
          correctOurs += ours == want.get("label").asInt() ? 1 : 0;
          correctTorch += want.get("prediction").asInt() == want.get("label").asInt() ? 1 : 0;
        }
      }
    }
    System.out.printf("real path (" + file + "): %d images, predictions equal to PyTorch's: %d; top-1 project %d, PyTorch %d; "
        + "features equal bit for bit in %d; largest deviation %.3g of the image's largest feature (%s)%n", images,
        agree, correctOurs, correctTorch, identical, worst, worstImage);
    assertTrue(images >= 90, images + " images compared");
    assertTrue(worst <= FEATURE_TOLERANCE, "features of " + worstImage + " differ from PyTorch's by " + worst);
    assertTrue(agree >= images - Math.max(1, images / 100), agree + " of " + images + " predictions equal PyTorch's");
  }

  private static int argmax(List<Float> l) {
    int best = 0;
    for (int i = 1; i < l.size(); i++) {
      if (l.get(i) > l.get(best)) {
        best = i;
      }
    }
    return best;
  }

  private static float[] decode(String b64) {
    ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(b64)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  private static float[] floats(JsonNode a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) a.get(i).asDouble();
    }
    return out;
  }
}
