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
import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.math.SensitivityAccumulator;
import io.opnp.testing.TestData;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The committed demo model, run by DJL's PyTorch engine on real Fashion-MNIST test images. */
class DemoModelTest {
  private static final int N = 512;
  private static ZooModel<ImageBatch, ModelOutput> model;
  private static float[] images;
  private static int[] labels;

  @BeforeAll
  static void load() throws Exception {
    LoadedModels.configureThreads(1);
    model = LoadedModels.get(TestData.demoModel(), Device.cpu());
    IdxFiles.Images im = IdxFiles.readImages(TestData.fashionTestImages(), N);
    labels = IdxFiles.readLabels(TestData.fashionMnist().resolve("t10k-labels-idx1-ubyte.gz"), N);
    ImageDecoder decoder = new ImageDecoder(Preprocess.grey(28, 28));
    images = new float[N * 784];
    for (int i = 0; i < N; i++) {
      decoder.decode(Png.encodeGrey(im.pixels()[i], 28, 28), images, i * 784);
    }
  }

  private static ModelOutput run(int from, int n) throws Exception {
    try (Predictor<ImageBatch, ModelOutput> p = model.newPredictor()) {
      return p.predict(new ImageBatch(Arrays.copyOfRange(images, from * 784, (from + n) * 784), n, 1, 28, 28));
    }
  }

  @Test
  void headIsReadFromTheNamedParametersAndSatisfiesTheContract() throws Exception {
    LinearHead head = HeadReader.read(model, "fc.weight", "fc.bias");
    assertEquals(10, head.classes());
    assertEquals(256, head.dim());
    ModelOutput out = run(0, 256);
    ContractCheck.verify("demo", head, out, "fc.weight", "fc.bias");  // throws if logits != W h + b
  }

  @Test
  void classifiesRealTestImages() throws Exception {
    ModelOutput out = run(0, N);
    double[] logits = new double[N * 10];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = out.logits()[i];
    }
    int correct = 0;
    for (int k = 0; k < N; k++) {
      correct += Energy.argmax(logits, k * 10, 10) == labels[k] ? 1 : 0;
    }
    assertTrue(correct >= 0.85 * N, "accuracy " + correct + "/" + N);
  }

  @Test
  void outputsOfAnImageDoNotDependOnItsBatchNeighbours() throws Exception {
    ModelOutput a = run(0, 256);
    ModelOutput b = run(128, 256);  // images 128..255 again, at other positions with other neighbours
    for (int k = 0; k < 128; k++) {
      assertArrayEquals(Arrays.copyOfRange(a.features(), (128 + k) * 256, (129 + k) * 256),
          Arrays.copyOfRange(b.features(), k * 256, (k + 1) * 256), "features of image " + (128 + k));
    }
  }

  @Test
  void sensitivityOfRealFeaturesMatchesAFloat64Recomputation() throws Exception {
    ModelOutput out = run(0, N);
    LinearHead head = HeadReader.read(model, "fc.weight", "fc.bias");
    double[] w = head.weight();
    Sensitivity s = new SensitivityAccumulator(10, 256, 1).add(out.features(), out.logits(), N, w).result("m", null);
    // Straightforward per-sample loops in float64: Mw_ij = mean |p_i h_j|, Mo_j = mean |Σ_i p_i W_ij|.
    double[] mw = new double[10 * 256];
    double[] mo = new double[256];
    for (int k = 0; k < N; k++) {
      double[] f = new double[10];
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < 10; i++) {
        f[i] = out.logits()[k * 10 + i];
        max = Math.max(max, f[i]);
      }
      double z = 0;
      for (int i = 0; i < 10; i++) {
        z += Math.exp(f[i] - max);
      }
      for (int i = 0; i < 10; i++) {
        double p = Math.exp(f[i] - max) / z;
        for (int j = 0; j < 256; j++) {
          mw[i * 256 + j] += Math.abs(-p * out.features()[k * 256 + j]) / N;
        }
      }
      for (int j = 0; j < 256; j++) {
        double g = 0;
        for (int i = 0; i < 10; i++) {
          g += -Math.exp(f[i] - max) / z * w[i * 256 + j];
        }
        mo[j] += Math.abs(g) / N;
      }
    }
    Sensitivity reference = new Sensitivity(10, 256, N, 1, mw, mo, "m", null);
    assertTrue(s.maxRelativeDifference(reference) < 1e-10, "relative difference " + s.maxRelativeDifference(reference));
  }

  @Test
  void modelsThatBreakTheContractAreRejectedWithTheFix() throws Exception {
    ZooModel<ImageBatch, ModelOutput> logitsOnly = LoadedModels.get(TestData.testModel("logits-only.pt"), Device.cpu());
    try (Predictor<ImageBatch, ModelOutput> p = logitsOnly.newPredictor()) {
      Exception e = assertThrows(Exception.class, () -> p.predict(new ImageBatch(new float[2 * 784], 2, 1, 28, 28)));
      BadInputException bad = BadInputException.find(e);
      assertEquals("model logits-only.pt returned 1 output(s) [(2, 10)]; the contract is forward(x) -> "
          + "(features [N,D], logits [N,C]). Wrap the network so that forward returns that tuple (see README, "
          + "'Model contract').", bad.getMessage());
    }
    ZooModel<ImageBatch, ModelOutput> wrong = LoadedModels.get(TestData.testModel("wrong-logits.pt"), Device.cpu());
    LinearHead head = HeadReader.read(wrong, "fc.weight", "fc.bias");
    ModelOutput out;
    try (Predictor<ImageBatch, ModelOutput> p = wrong.newPredictor()) {
      out = p.predict(new ImageBatch(Arrays.copyOf(images, 4 * 784), 4, 1, 28, 28));
    }
    ModelOutput o = out;
    BadInputException e = assertThrows(BadInputException.class,
        () -> ContractCheck.verify("wrong-logits.pt", head, o, "fc.weight", "fc.bias"));
    assertTrue(e.getMessage().startsWith("model wrong-logits.pt breaks the contract logits = fc.weight · features + fc.bias"),
        e.getMessage());
  }

  @Test
  void wrongParameterNamesListTheCandidates() {
    BadInputException e = assertThrows(BadInputException.class, () -> HeadReader.read(model, "head.weight", "fc.bias"));
    assertTrue(e.getMessage().startsWith("model fmnist-resnet has no parameter named 'head.weight'; pass the last "
        + "linear layer's names with --weight-param and --bias-param (2-D parameters in this model: ["), e.getMessage());
    assertTrue(e.getMessage().contains("fc.weight (10, 256)"), e.getMessage());
  }

  @Test
  void aFileThatIsNotTorchScriptIsRejected() {
    BadInputException e = assertThrows(BadInputException.class,
        () -> LoadedModels.get(TestData.testModel("not-torchscript.pt"), Device.cpu()));
    assertEquals("model file " + TestData.testModel("not-torchscript.pt") + " is neither a TorchScript archive (a zip "
        + "file) nor an ONNX model (a protobuf ModelProto); export it with torch.jit.trace(...).save(path) or "
        + "torch.onnx.export (see README, 'Model contract')", e.getMessage());
  }

  @Test
  void aZipFileThatIsNotTorchScriptIsRejectedByLibtorchWithTheFix(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path zip = dir.resolve("archive.pt");
    try (var out = new java.util.zip.ZipOutputStream(java.nio.file.Files.newOutputStream(zip))) {
      out.putNextEntry(new java.util.zip.ZipEntry("notes.txt"));
      out.write("not a model".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    BadInputException e = assertThrows(BadInputException.class, () -> LoadedModels.get(zip, Device.cpu()));
    assertTrue(e.getMessage().startsWith("could not load " + zip + " as a TorchScript model ("), e.getMessage());
    assertTrue(e.getMessage().endsWith("export it with torch.jit.trace(...).save(path) or torch.onnx.export (see "
        + "README, 'Model contract')"), e.getMessage());
  }
}
