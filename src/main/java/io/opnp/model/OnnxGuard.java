package io.opnp.model;

import ai.djl.engine.Engine;
import io.opnp.EngineNumericsException;
import io.opnp.numerics.Deviation;
import io.opnp.numerics.SelfTestNet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure ONNX Runtime computes right in this JVM before an ONNX model runs: the engine
 * self-test network ({@link SelfTestNet}, exported as ONNX from the same formulas) against its
 * float64 reference computed in Java, once per JVM, and each model card's golden outputs. ONNX
 * Runtime uses its own kernels (MLAS), not oneDNN, so libtorch's numerics modes do not apply: a
 * failure stops the job ({@link EngineNumericsException}) with the fix to run the model on libtorch.
 */
public final class OnnxGuard {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxGuard.class);

  /** The settled result of this JVM's ONNX Runtime self-test. */
  public record Status(String version, boolean passed, Deviation selfTest, double tolerance, String error) {
    public String summary() {
      return String.format("ONNX Runtime %s: self-test %s, largest deviation %.2g (tolerance %.0e)%s", version,
          passed ? "passed" : "FAILED", selfTest.relative(), tolerance, error.isEmpty() ? "" : " " + error);
    }

    public Map<String, Object> provenance() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("onnxruntime_version", version);
      m.put("onnxruntime_self_test_passed", passed);
      m.put("onnxruntime_self_test_max_deviation", selfTest.relative());
      return m;
    }
  }

  private static volatile Status status;

  private OnnxGuard() {}

  /** This JVM's ONNX Runtime status, or null before an ONNX model was loaded here. */
  public static Status status() {
    return status;
  }

  /** Runs the self-test once per JVM; throws when ONNX Runtime computes wrong values here. */
  public static Status ensure() {
    Status s = status;
    if (s == null) {
      synchronized (OnnxGuard.class) {
        if (status == null) {
          status = selfTest();
          if (status.passed()) {
            LOG.info("{}", status.summary());
          } else {
            LOG.error("{}", status.summary());
          }
        }
        s = status;
      }
    }
    if (!s.passed()) {
      throw new EngineNumericsException("ONNX Runtime computes wrong values on this machine: " + s.summary()
          + ". No output was written. Fix: run the model on libtorch instead (export it as TorchScript, "
          + "torch.jit.trace(...).save(path)), and report the CPU (opnp doctor) with the ONNX Runtime version");
    }
    return s;
  }

  private static Status selfTest() {
    long start = System.nanoTime();
    String version = Engine.getEngine(ModelEngine.ONNX_RUNTIME.djlName()).getVersion();
    Deviation d;
    String error = "";
    try {
      d = EngineGuard.deviation(SelfTestNet.Storage.FP32, new SelfTestNet(SelfTestNet.Storage.FP32),
          ModelEngine.ONNX_RUNTIME);
    } catch (EngineGuard.EngineRunException e) {
      d = new Deviation(Double.POSITIVE_INFINITY, -1, Float.NaN, 0);
      error = "(ONNX Runtime failed: " + e.getMessage() + ")";
    }
    LOG.debug("ONNX Runtime self-test in {} ms", (System.nanoTime() - start) / 1_000_000);
    return new Status(version, d.within(EngineGuard.FP32_TOLERANCE), d, EngineGuard.FP32_TOLERANCE, error);
  }

  /** The card's golden outputs against the model's on this machine; no mode to fall back to. */
  static void verifyGolden(GoldenOutputs g, ModelOutput out, String name, int batch) {
    Deviation d = g.compare(out, name);
    if (!d.within(g.tolerance())) {
      throw new EngineNumericsException(String.format("model %s computes outputs on ONNX Runtime %s that differ from "
          + "the golden outputs in its card %s (made with %s) by %.3g, more than its tolerance %.0e (engine self-test "
          + "passed). No output was written. Either the card belongs to another export of the model (regenerate it "
          + "with src/main/python/make_golden_outputs.py) or ONNX Runtime computes this model wrong here (run its "
          + "TorchScript export on libtorch instead)", name, status == null ? "?" : status.version(), g.card(),
          g.madeWith(), d.relative(), g.tolerance()));
    }
    LOG.info("model {}: golden outputs of its card reproduced on ONNX Runtime (largest deviation {}, tolerance {}, "
        + "{} inputs in a batch of {})", name, String.format("%.2g", d.relative()), g.tolerance(), Math.min(g.n(), batch),
        batch);
  }
}
