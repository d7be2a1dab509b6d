package io.opnp.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import io.opnp.BadInputException;
import io.opnp.cli.JobOptionsAccess;
import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.data.ImageDecoder;
import io.opnp.data.Preprocess;
import io.opnp.model.ImageBatch;
import io.opnp.model.ModelOutput;
import io.opnp.model.Precision;
import io.opnp.model.LoadedModels;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pipelined runner (decode pool + two reused buffers) against a plain serial reference: decode
 * one image at a time on the test thread, run it alone in a zero-padded batch.
 */
class BatchRunnerTest {
  private static final int IMAGES = 200;
  private static final Set<Integer> CORRUPT = Set.of(5, 63, 64, 65, 199);
  private static List<Row> rows;
  private static Path model;

  @BeforeAll
  static void setUp() {
    DatasetSpec spec = DatasetSpec.parse("fm=idx:" + TestData.fashionTestImages());
    List<Row> read = DatasetReader.read(SparkTestSession.get(), spec, IMAGES, 1).collectAsList();
    rows = new ArrayList<>();
    for (int i = 0; i < read.size(); i++) {
      Row r = read.get(i);
      byte[] image = CORRUPT.contains(i) ? new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3} : r.getAs("image");
      rows.add(RowFactory.create(r.getAs("id"), image, r.getAs("label"), "fm"));
    }
    model = TestData.demoModel();
  }

  private static InferenceConfig config(Path m, int batch, boolean skip, Precision precision) {
    return new InferenceConfig(JobOptionsAccess.stage(m), "fc.weight", "fc.bias",
        Preprocess.grey(28, 28), batch, 1, 1.0, skip, 2, precision);
  }

  /** Features of each readable image, computed alone: serial decode, one image per padded batch. */
  private static List<float[]> reference(Path m, Device device) {
    ZooModel<ImageBatch, ModelOutput> zoo = LoadedModels.get(m, device);
    ImageDecoder decoder = new ImageDecoder(Preprocess.grey(28, 28));
    List<float[]> out = new ArrayList<>();
    float[] buf = new float[8 * 28 * 28];
    try (Predictor<ImageBatch, ModelOutput> p = zoo.newPredictor()) {
      for (int i = 0; i < rows.size(); i++) {
        if (CORRUPT.contains(i)) {
          continue;
        }
        java.util.Arrays.fill(buf, 0f);
        decoder.decode((byte[]) rows.get(i).get(1), buf, 0);
        ModelOutput o = p.predict(new ImageBatch(buf, 8, 1, 28, 28, LoadedModels.parameterType(zoo)));
        out.add(java.util.Arrays.copyOf(o.features(), o.dim()));
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return out;
  }

  private static List<float[]> runAll(InferenceConfig cfg, List<String> ids, List<String> skipped) {
    List<float[]> out = new ArrayList<>();
    try (BatchRunner runner = new BatchRunner(cfg)) {
      var it = rows.iterator();
      for (BatchRunner.Batch b = runner.next(it); b != null; b = runner.next(it)) {
        b.skipped().forEach(s -> skipped.add(s.id()));
        for (int k = 0; k < b.count(); k++) {
          int d = b.output().dim();
          out.add(java.util.Arrays.copyOfRange(b.output().features(), k * d, (k + 1) * d));
          ids.add(b.ids()[k]);
        }
      }
    }
    return out;
  }

  private static double maxDiff(List<float[]> a, List<float[]> b) {
    assertEquals(a.size(), b.size());
    double worst = 0;
    for (int i = 0; i < a.size(); i++) {
      for (int j = 0; j < a.get(i).length; j++) {
        worst = Math.max(worst, Math.abs(a.get(i)[j] - b.get(i)[j]));
      }
    }
    return worst;
  }

  @Test
  void pipelinedDecodeGivesEachImageItsOwnFeaturesInOrderAndSkipsOnlyTheBadOnes() {
    List<String> ids = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    List<float[]> got = runAll(config(model, 64, true, Precision.AUTO), ids, skipped);
    assertEquals(IMAGES - CORRUPT.size(), got.size());
    assertEquals(CORRUPT.size(), skipped.size());
    List<String> expectedIds = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      (CORRUPT.contains(i) ? new ArrayList<String>() : expectedIds).add(rows.get(i).getString(0));
    }
    assertEquals(expectedIds, ids);  // order kept across the gaps the skipped images left
    for (int i : CORRUPT) {
      assertTrue(skipped.contains((String) rows.get(i).getString(0)), "skipped " + skipped);
    }
    double diff = maxDiff(reference(model, Device.cpu()), got);
    assertTrue(diff < 1e-4, "pipelined vs serial features differ by " + diff);
  }

  @Test
  void anUnreadableImageFailsTheBatchNamingTheImageWhenNotSkipping() {
    BadInputException e = assertThrows(BadInputException.class,
        () -> runAll(config(model, 64, false, Precision.AUTO), new ArrayList<>(), new ArrayList<>()));
    assertTrue(e.getMessage().contains("image " + rows.get(5).getString(0)), e.getMessage());
    assertTrue(e.getMessage().contains("--on-bad-image=skip"), e.getMessage());
  }

  @Test
  void aBfloat16ModelRunsInItsOwnPrecisionCloseToFloat32() {
    Path bf16 = TestData.testModel("fmnist-resnet-bf16.pt");
    List<float[]> half = runAll(config(bf16, 32, true, Precision.AUTO), new ArrayList<>(), new ArrayList<>());
    List<float[]> full = reference(model, Device.cpu());
    double scale = 0;
    for (float[] f : full) {
      for (float v : f) {
        scale = Math.max(scale, Math.abs(v));
      }
    }
    double diff = maxDiff(full, half);
    // bf16 keeps 8 mantissa bits: close to float32, yet not equal (it really ran in bf16).
    assertTrue(diff < 0.1 * scale && diff > 1e-6 * scale, "bf16 vs fp32 features differ by " + diff + " of " + scale);
    List<float[]> explicit = runAll(config(bf16, 32, true, Precision.BF16), new ArrayList<>(), new ArrayList<>());
    assertEquals(0.0, maxDiff(half, explicit));
  }

  @Test
  void aPrecisionTheModelWasNotExportedInIsAClearError() {
    BadInputException e = assertThrows(BadInputException.class, () -> new BatchRunner(config(model, 8, false,
        Precision.BF16)).close());
    assertTrue(e.getMessage().contains("--precision bf16") && e.getMessage().contains("torch.bfloat16"), e.getMessage());
  }

  @Test
  void onAGpuTheFeaturesMatchTheCpu() {
    int gpus = Engine.getEngine("PyTorch").getGpuCount();
    Assumptions.assumeTrue(gpus > 0, "no GPU visible to libtorch (CPU-only native library or no device); skipped");
    double diff = maxDiff(reference(model, Device.cpu()), reference(model, Device.gpu(0)));
    assertTrue(diff < 1e-3, "GPU vs CPU features differ by " + diff);
  }

  @Test
  void onAGpuOnnxRuntimesCudaProviderMatchesTheCpu() {
    Engine ort = Engine.getEngine("OnnxRuntime");
    Assumptions.assumeTrue(ort.hasCapability(ai.djl.engine.StandardCapabilities.CUDA) && ort.getGpuCount() > 0,
        "ONNX Runtime has no CUDA execution provider here (CPU natives; build with -Pcuda) or no GPU; skipped");
    Path onnx = TestData.demoOnnxModel();
    double diff = maxDiff(reference(onnx, Device.cpu()), reference(onnx, Device.gpu(0)));
    assertTrue(diff < 1e-3, "ONNX Runtime GPU vs CPU features differ by " + diff);
  }
}
