package io.opnp.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import io.opnp.BadInputException;
import io.opnp.data.IdxFiles;
import io.opnp.data.ImageDecoder;
import io.opnp.data.Png;
import io.opnp.data.Preprocess;
import io.opnp.math.LinearHead;
import io.opnp.numerics.Deviation;
import io.opnp.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second engine: the demo model exported as ONNX, run by DJL's ONNX Runtime engine, against the
 * same model as TorchScript run by libtorch (an independent implementation of every kernel), on real
 * Fashion-MNIST test images.
 */
class OnnxEngineTest {
  private static final int N = 96;
  /** ONNX Runtime and libtorch sum in other orders; measured here 2e-6 of the largest output. */
  static final double ENGINE_TOLERANCE = 1e-4;
  private static ZooModel<ImageBatch, ModelOutput> onnx;
  private static ZooModel<ImageBatch, ModelOutput> torch;
  private static float[] images;

  @BeforeAll
  static void load() throws Exception {
    LoadedModels.configureThreads(1);
    onnx = LoadedModels.get(TestData.demoOnnxModel(), Device.cpu());
    torch = LoadedModels.get(TestData.demoModel(), Device.cpu());
    IdxFiles.Images im = IdxFiles.readImages(TestData.fashionTestImages(), N);
    ImageDecoder decoder = new ImageDecoder(Preprocess.grey(28, 28));
    images = new float[N * 784];
    for (int i = 0; i < N; i++) {
      decoder.decode(Png.encodeGrey(im.pixels()[i], 28, 28), images, i * 784);
    }
  }

  private static ModelOutput run(ZooModel<ImageBatch, ModelOutput> m, int n) throws Exception {
    try (Predictor<ImageBatch, ModelOutput> p = m.newPredictor()) {
      return p.predict(new ImageBatch(Arrays.copyOf(images, n * 784), n, 1, 28, 28));
    }
  }

  @Test
  void filesAreToldApartByTheirContentNotTheirName(@TempDir Path dir) throws Exception {
    assertEquals(ModelEngine.ONNX_RUNTIME, ModelEngine.of(TestData.demoOnnxModel()));
    assertEquals(ModelEngine.PYTORCH, ModelEngine.of(TestData.demoModel()));
    Path misnamed = dir.resolve("model.pt");
    Files.copy(TestData.demoOnnxModel(), misnamed);
    assertEquals(ModelEngine.ONNX_RUNTIME, ModelEngine.of(misnamed));
    assertEquals(ModelEngine.ONNX_RUNTIME, LoadedModels.engine(onnx));
    assertEquals(ModelEngine.PYTORCH, LoadedModels.engine(torch));
  }

  @Test
  void selfTestPassesAgainstTheJavaFloat64Reference() {
    OnnxGuard.Status s = OnnxGuard.ensure();
    assertTrue(s.passed(), s.summary());
    assertTrue(s.selfTest().relative() < EngineGuard.FP32_TOLERANCE, s.summary());
    assertTrue(s.selfTest().relative() > 0, "a float32 engine cannot equal float64 exactly: " + s.summary());
    assertEquals(s.version(), EngineProvenance.current(true).get("onnxruntime_version"));
  }

  @Test
  void headFromTheGraphInitializersEqualsTheTorchScriptParameters() {
    LinearHead a = HeadReader.read(onnx, "fc.weight", "fc.bias");
    LinearHead b = HeadReader.read(torch, "fc.weight", "fc.bias");
    assertEquals(b.classes(), a.classes());
    assertEquals(b.dim(), a.dim());
    assertArrayEquals(b.weight(), a.weight());  // the same float32 values, bit for bit
    assertArrayEquals(b.bias(), a.bias());
  }

  @Test
  void outputsEqualLibtorchsOnRealImagesAndKeepTheContract() throws Exception {
    ModelOutput o = run(onnx, N);
    ModelOutput t = run(torch, N);
    Deviation d = Deviation.of(o.features(), t.features(), N * 256)
        .max(Deviation.of(o.logits(), t.logits(), N * 10));
    assertTrue(d.within(ENGINE_TOLERANCE), "ONNX Runtime vs libtorch: " + d);
    ContractCheck.verify("demo.onnx", HeadReader.read(onnx, "fc.weight", "fc.bias"), o, "fc.weight", "fc.bias");
  }

  @Test
  void aMissingHeadNamesTheGraphsMatrices() {
    BadInputException e = assertThrows(BadInputException.class, () -> HeadReader.read(onnx, "head.weight", "fc.bias"));
    assertTrue(e.getMessage().contains("'head.weight'") && e.getMessage().contains("fc.weight [10, 256]"),
        e.getMessage());
  }

  @Test
  void aFileThatIsNeitherFormatIsRefusedNamingBoth(@TempDir Path dir) throws Exception {
    Path junk = dir.resolve("model.onnx");
    Files.writeString(junk, "not a model");
    BadInputException e = assertThrows(BadInputException.class, () -> LoadedModels.get(junk, Device.cpu()));
    assertTrue(e.getMessage().contains("neither a TorchScript archive") && e.getMessage().contains("ONNX"),
        e.getMessage());
  }

  @Test
  void aTruncatedOnnxFileIsRefusedWithTheFix(@TempDir Path dir) throws Exception {
    byte[] all = Files.readAllBytes(TestData.demoOnnxModel());
    Path cut = dir.resolve("cut.onnx");
    Files.write(cut, Arrays.copyOf(all, all.length / 2));
    BadInputException e = assertThrows(BadInputException.class, () -> LoadedModels.get(cut, Device.cpu()));
    assertTrue(e.getMessage().contains("cut.onnx") && e.getMessage().contains("torch.onnx.export"), e.getMessage());
  }
}
