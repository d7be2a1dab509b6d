package io.opnp.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import io.opnp.numerics.Deviation;
import io.opnp.numerics.NumericsStatus;
import io.opnp.numerics.SelfTestNet;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The guard in this JVM, on the real engine, in whatever mode this machine needs (no setting by hand). */
class EngineGuardTest {
  static final Path DEMO = Path.of(System.getProperty("opnp.project.dir", "."), "src/main/resources/demo/fmnist-resnet.pt");

  @Test
  void theSelfTestPassesOnTheRealEngineAndIsRecorded() {
    NumericsStatus s = EngineGuard.ensure();
    System.out.println(s.summary());
    assertTrue(s.passed(), s.summary());
    // The status holds the latest self-test, bf16's when a test class before this one loaded a bf16 model.
    assertTrue(s.selfTest().within(s.tolerance()), s.summary());
    Deviation fp32 = EngineGuard.deviation(SelfTestNet.Storage.FP32, new SelfTestNet(SelfTestNet.Storage.FP32));
    assertTrue(fp32.within(EngineGuard.FP32_TOLERANCE), "float32 self-test: " + fp32);
    assertEquals("2.5.1", s.libtorchVersion());
    assertTrue(s.onednnVersion().matches("3\\.\\d+\\.\\d+"), "oneDNN version from libtorch's build: " + s.onednnVersion());
    assertEquals(s.mode().id(), s.provenance().get("numerics_mode"));
    assertTrue(s.steps().get(0).startsWith("start in "), s.steps().toString());
  }

  @Test
  void aDeliberatelyWrongReferenceFailsTheSelfTest() {
    EngineGuard.ensure();
    // The float32 network judged against the bf16 twin's reference: off by bf16 rounding, ~1e-3.
    Deviation wrong = EngineGuard.deviation(SelfTestNet.Storage.FP32, new SelfTestNet(SelfTestNet.Storage.BF16));
    assertFalse(wrong.within(EngineGuard.FP32_TOLERANCE), "a reference off by bf16 rounding must fail: " + wrong);
    Deviation right = EngineGuard.deviation(SelfTestNet.Storage.FP32, new SelfTestNet(SelfTestNet.Storage.FP32));
    assertTrue(right.within(EngineGuard.FP32_TOLERANCE), right.toString());
  }

  @Test
  void theBf16SelfTestRunsWhenABf16ModelIsLoaded() {
    Path bf16 = Path.of(System.getProperty("opnp.project.dir", "."), "src/test/resources/models/fmnist-resnet-bf16.pt");
    LoadedModels.get(bf16, Device.cpu());
    NumericsStatus s = EngineGuard.status();
    assertTrue(s.passed(), s.summary());
    assertTrue(s.steps().stream().anyMatch(x -> x.startsWith("self-test bf16")), s.steps().toString());
    Deviation d = EngineGuard.deviation(SelfTestNet.Storage.BF16, new SelfTestNet(SelfTestNet.Storage.BF16));
    assertTrue(d.relative() > 1e-5 && d.within(EngineGuard.BF16_TOLERANCE), "bf16 really computes in bf16: " + d);
  }

  @Test
  void aMalformedCardOrAToleranceThatChecksNothingIsBadInput(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path model = tmp.resolve("m.pt");
    java.nio.file.Files.writeString(tmp.resolve("m.json"), "{\"golden\": ");
    io.opnp.BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(io.opnp.BadInputException.class,
        () -> GoldenOutputs.find(model));
    assertTrue(e.getMessage().contains("m.json is not valid JSON"), e.getMessage());
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var card = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(DEMO.resolveSibling("fmnist-resnet.json").toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) card.get("golden")).put("tolerance", 0.0);
    json.writeValue(tmp.resolve("m.json").toFile(), card);
    e = org.junit.jupiter.api.Assertions.assertThrows(io.opnp.BadInputException.class, () -> GoldenOutputs.find(model));
    assertTrue(e.getMessage().contains("tolerance 0.0 is outside (0, 0.1]"), e.getMessage());
    assertTrue(GoldenOutputs.find(tmp.resolve("no-card.pt")).isEmpty(), "a model without a card is not checked");
  }

  @Test
  void theGoldenCheckAlsoPassesInsideZeroPaddedBatchesOfAJobsSize() throws Exception {
    ZooModel<ImageBatch, ModelOutput> m = LoadedModels.get(DEMO, Device.cpu());
    for (int batch : new int[] {2, 64, 256}) {  // fewer rows than the card has, and padded batches
      EngineGuard.verifyAtBatch(m, DEMO, Device.cpu(), batch);
    }
    // What it compares: the card's rows of a padded batch equal the card's own outputs.
    GoldenOutputs g = GoldenOutputs.find(DEMO).orElseThrow();
    int[] s = g.inputShape();
    float[] x = new float[64 * s[1] * s[2] * s[3]];
    System.arraycopy(g.inputs(), 0, x, 0, g.inputs().length);
    try (Predictor<ImageBatch, ModelOutput> p = m.newPredictor()) {
      ModelOutput out = p.predict(new ImageBatch(x, 64, s[1], s[2], s[3]));
      assertEquals(64, out.n());
      assertTrue(g.compare(out, "fmnist-resnet.pt").within(1e-5), g.compare(out, "fmnist-resnet.pt").toString());
    }
  }

  @Test
  void theDemoModelReproducesTheGoldenOutputsOfItsCard() throws Exception {
    GoldenOutputs g = GoldenOutputs.find(DEMO).orElseThrow();
    assertEquals(4, g.n());
    assertEquals(256, g.dim());
    assertEquals(10, g.classes());
    ZooModel<ImageBatch, ModelOutput> m = LoadedModels.get(DEMO, Device.cpu());  // checks the card at load
    try (Predictor<ImageBatch, ModelOutput> p = m.newPredictor()) {
      int[] s = g.inputShape();
      ModelOutput out = p.predict(new ImageBatch(g.inputs(), s[0], s[1], s[2], s[3]));
      Deviation d = g.compare(out, "fmnist-resnet.pt");
      assertTrue(d.within(1e-5), "torch 1.13's outputs against libtorch 2.5.1's: " + d);
      // The check can fail: the same outputs against another image's golden logits.
      float[] shifted = out.logits().clone();
      System.arraycopy(out.logits(), 10, shifted, 0, 10);
      ModelOutput wrong = new ModelOutput(out.features(), shifted, out.n(), out.dim(), out.classes());
      assertFalse(g.compare(wrong, "fmnist-resnet.pt").within(g.tolerance()));
    }
  }
}
