package io.opnp.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.types.DataType;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.opnp.EngineNumericsException;
import io.opnp.numerics.CpuInfo;
import io.opnp.numerics.Deviation;
import io.opnp.numerics.NumericsMode;
import io.opnp.numerics.NumericsPolicy;
import io.opnp.numerics.NumericsStatus;
import io.opnp.numerics.SelfTestNet;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure libtorch computes right in this JVM before any model runs (issue 9): picks the
 * numerics mode ({@link NumericsPolicy}), applies it, runs the known-answer self-test
 * ({@link SelfTestNet} through TorchScript, against its float64 reference in Java), falls back to
 * a safe mode when it fails, and stops with {@link EngineNumericsException} when nothing helps.
 * Runs once per JVM — driver, each executor, a notebook's local session — on the first model load;
 * the bf16 self-test runs once more when the first bf16 model is loaded.
 *
 * <p>Settings (system property, or environment variable): {@code opnp.numerics} /
 * {@code OPNP_NUMERICS} = auto (default), default, avx2, no-onednn. For the fault-path tests only:
 * {@code opnp.numerics.simulate-fault} = default (the self-test's outputs are corrupted with NaN,
 * as the real fault corrupts them, while oneDNN runs at full ISA) or always (in every mode), and
 * {@code opnp.cpu.cache-visible=false} (the CPU is treated as hiding its cache topology).
 */
public final class EngineGuard {
  private static final Logger LOG = LoggerFactory.getLogger(EngineGuard.class);

  /** Relative tolerance of the float32 self-test; measured deviation 1.7e-7. */
  public static final double FP32_TOLERANCE = 1e-4;
  /** bf16 keeps 8 mantissa bits, and rounds every layer's output; measured deviation 3.3e-3. */
  public static final double BF16_TOLERANCE = 3e-2;

  private static volatile NumericsStatus status;
  private static NumericsPolicy.Choice choice;
  private static final Set<SelfTestNet.Storage> CHECKED = EnumSet.noneOf(SelfTestNet.Storage.class);
  private static final List<String> STEPS = new ArrayList<>();
  private static Deviation worst = Deviation.NONE;

  private EngineGuard() {}

  /** The settled numerics of this JVM, or null before the engine was first used. */
  public static NumericsStatus status() {
    return status;
  }

  /** Settles the numerics once per JVM (fp32 self-test); throws when the engine cannot compute right. */
  public static NumericsStatus ensure() {
    NumericsStatus s = status;
    if (s != null) {
      return checked(s);
    }
    synchronized (EngineGuard.class) {
      if (status == null) {
        settle();
      }
      return checked(status);
    }
  }

  /** Also self-tests the precision a loaded model computes in (bf16 has kernels of its own). */
  public static NumericsStatus ensurePrecision(DataType modelType) {
    ensure();
    if (modelType != DataType.BFLOAT16) {
      return status;
    }
    synchronized (EngineGuard.class) {
      if (!CHECKED.contains(SelfTestNet.Storage.BF16) && status.passed()) {
        Deviation d = selfTest(SelfTestNet.Storage.BF16);
        if (!d.within(BF16_TOLERANCE) && NumericsPolicy.after(choice, false) == NumericsPolicy.Action.FALL_BACK) {
          fallBack(d);
        } else {
          status = build(status.cpu(), Engine.getEngine("PyTorch"), worst, d.within(BF16_TOLERANCE));
          log();
        }
      }
      return checked(status);
    }
  }

  /**
   * Checks a freshly loaded model: its precision's self-test, and its card's golden outputs when
   * the card beside the file has them ({@link GoldenOutputs}). A mismatch falls back like a failed
   * self-test; one that persists stops the job. On a GPU the golden check is skipped (cuDNN's
   * TF32 convolutions differ from the CPU export by more than its tolerance; the fault is the CPU's).
   */
  static void verifyModel(ZooModel<ImageBatch, ModelOutput> model, Path path, Device device) {
    ensurePrecision(TorchModels.parameterType(model));
    java.util.Optional<GoldenOutputs> golden = GoldenOutputs.find(path);
    if (golden.isEmpty() || !device.equals(Device.cpu())) {
      return;
    }
    GoldenOutputs g = golden.get();
    String name = path.getFileName().toString();
    synchronized (EngineGuard.class) {
      Deviation d = golden(model, g, name);
      if (!d.within(g.tolerance()) && NumericsPolicy.after(choice, false) == NumericsPolicy.Action.FALL_BACK) {
        fallBack(d);
        checked(status);
        d = golden(model, g, name);
      }
      if (!d.within(g.tolerance())) {
        throw new EngineNumericsException(String.format("model %s computes outputs on this machine that differ from "
            + "the golden outputs in its card %s (made with %s) by %.3g, more than its tolerance %.0e, in numerics mode "
            + "%s (self-test passed: %s). Either libtorch computes this model's layers wrong here, or the card belongs "
            + "to another export of the model (regenerate it with src/main/python/make_golden_outputs.py). No output "
            + "was written. If the engine is at fault: %s", name, g.card(), g.madeWith(), d.relative(), g.tolerance(),
            choice.mode().id(), status.passed(), NumericsPolicy.fix()));
      }
      LOG.info("model {}: golden outputs of its card reproduced (largest deviation {}, tolerance {}, {} inputs)",
          name, String.format("%.2g", d.relative()), g.tolerance(), g.n());
    }
  }

  private static Deviation golden(ZooModel<ImageBatch, ModelOutput> model, GoldenOutputs g, String name) {
    DataType input = io.opnp.model.Precision.AUTO.inputType(TorchModels.parameterType(model), name);
    int[] s = g.inputShape();
    try (Predictor<ImageBatch, ModelOutput> p = model.newPredictor()) {
      ModelOutput out = p.predict(new ImageBatch(g.inputs(), s[0], s[1], s[2], s[3], input));
      simulateFault(out);
      return g.compare(out, name);
    } catch (ai.djl.translate.TranslateException e) {
      throw new io.opnp.BadInputException("model " + name + " could not run the golden inputs of its card " + g.card()
          + " (shape " + java.util.Arrays.toString(s) + "): " + e.getMessage(), e);
    }
  }

  private static NumericsStatus checked(NumericsStatus s) {
    if (!s.passed()) {
      throw new EngineNumericsException("libtorch computes wrong values on this machine (" + s.cpu().describe()
          + "): the engine self-test deviates from its float64 reference by " + String.format("%.3g", s.selfTest().relative())
          + " (tolerance " + s.tolerance() + ") in the last mode tried; steps: " + String.join("; ", s.steps())
          + ". No output was written. Fix: " + NumericsPolicy.fix());
    }
    return s;
  }

  private static void settle() {
    CpuInfo cpu = cpu();
    String userIsa = firstNonBlank(System.getenv("ONEDNN_MAX_CPU_ISA"), System.getenv("DNNL_MAX_CPU_ISA"));
    choice = NumericsPolicy.initial(cpu, setting("opnp.numerics", "OPNP_NUMERICS"), userIsa);
    if (choice.mode() == NumericsMode.AVX2) {
      // Must reach the C environment before oneDNN first dispatches (it reads the cap once).
      NativeTorch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2");
    }
    Engine engine = Engine.getEngine("PyTorch");
    if (choice.mode() == NumericsMode.NO_ONEDNN) {
      NativeTorch.setOnednnEnabled(false);
    }
    if (choice.mode() == NumericsMode.AVX2 && !"AVX2".equals(NativeTorch.getenv("ONEDNN_MAX_CPU_ISA"))) {
      LOG.warn("could not set ONEDNN_MAX_CPU_ISA=AVX2 in the process environment");
    }
    STEPS.add("start in " + choice.mode().id() + " (" + choice.reason() + ")");
    Deviation d = selfTest(SelfTestNet.Storage.FP32);
    status = build(cpu, engine, d, d.within(FP32_TOLERANCE));
    if (NumericsPolicy.after(choice, status.passed()) == NumericsPolicy.Action.FALL_BACK) {
      fallBack(d);
    } else {
      log();
    }
  }

  /** Switches oneDNN off (possible at any time) and re-runs every self-test done so far. */
  private static void fallBack(Deviation failed) {
    LOG.warn("engine self-test FAILED in mode {} (largest deviation {}); switching oneDNN off and testing again",
        choice.mode().id(), failed.relative());
    choice = NumericsPolicy.fallback(choice, failed);
    NativeTorch.setOnednnEnabled(false);
    STEPS.add("fall back to " + choice.mode().id());
    worst = Deviation.NONE;
    Set<SelfTestNet.Storage> again = EnumSet.copyOf(CHECKED);
    CHECKED.clear();
    boolean ok = true;
    for (SelfTestNet.Storage s : again) {
      Deviation d = selfTest(s);
      ok &= d.within(s == SelfTestNet.Storage.BF16 ? BF16_TOLERANCE : FP32_TOLERANCE);
    }
    status = build(status.cpu(), Engine.getEngine("PyTorch"), worst, ok);
    log();
  }

  private static void log() {
    if (status.passed()) {
      LOG.info("{}", status.summary());
    } else {
      LOG.error("{}", status.summary());
    }
  }

  private static NumericsStatus build(CpuInfo cpu, Engine engine, Deviation d, boolean passed) {
    double tol = CHECKED.contains(SelfTestNet.Storage.BF16) ? BF16_TOLERANCE : FP32_TOLERANCE;
    return new NumericsStatus(choice.mode(), choice.reason(), passed, d, tol, "PyTorch (DJL " + Engine.getDjlVersion()
        + ")", engine.getVersion(), onednnVersion(), cpu, STEPS);
  }

  /** Runs the self-test network in {@code storage} at batch 1 and 17 and records its largest deviation. */
  private static Deviation selfTest(SelfTestNet.Storage storage) {
    long start = System.nanoTime();
    Deviation d = deviation(storage, new SelfTestNet(storage));
    CHECKED.add(storage);
    worst = worst.max(d);
    STEPS.add(String.format(Locale.ROOT, "self-test %s in %s: largest deviation %.3g (%d ms)",
        storage.name().toLowerCase(Locale.ROOT), choice.mode().id(), d.relative(), (System.nanoTime() - start) / 1_000_000));
    return d;
  }

  /** The self-test model in {@code storage}, run by libtorch, against {@code reference}. */
  static Deviation deviation(SelfTestNet.Storage storage, SelfTestNet reference) {
    Deviation d = Deviation.NONE;
    Criteria<ImageBatch, ModelOutput> criteria = Criteria.builder()
        .setTypes(ImageBatch.class, ModelOutput.class)
        .optModelPath(extract(storage))
        .optEngine("PyTorch")
        .optDevice(Device.cpu())
        .optTranslator(new BatchTranslator("engine self-test"))
        .build();
    try (ZooModel<ImageBatch, ModelOutput> model = criteria.loadModel();
         Predictor<ImageBatch, ModelOutput> p = model.newPredictor()) {
      for (int n : SelfTestNet.BATCHES) {
        float[] x = SelfTestNet.input(n);
        ModelOutput out = p.predict(new ImageBatch(x, n, SelfTestNet.CHANNELS, SelfTestNet.SIZE, SelfTestNet.SIZE));
        simulateFault(out);
        SelfTestNet.Outputs r = reference.forward(x, n);
        d = d.max(Deviation.of(out.features(), r.features(), n * SelfTestNet.FEATURES))
            .max(Deviation.of(out.logits(), r.logits(), n * SelfTestNet.CLASSES));
      }
    } catch (Exception e) {
      throw new IllegalStateException("the engine self-test could not run: " + e.getMessage(), e);
    }
    return d;
  }

  /** Test hook: corrupts the self-test's outputs as the real fault does (NaN features). */
  private static void simulateFault(ModelOutput out) {
    String sim = System.getProperty("opnp.numerics.simulate-fault", "");
    if (sim.equals("always") || (sim.equals("default") && choice != null && choice.mode() == NumericsMode.DEFAULT)) {
      out.features()[0] = Float.NaN;
    }
  }

  private static Path extract(SelfTestNet.Storage storage) {
    String name = "selftest-" + storage.name().toLowerCase(Locale.ROOT) + ".pt";
    try (InputStream in = EngineGuard.class.getResourceAsStream("/selftest/" + name)) {
      if (in == null) {
        throw new IllegalStateException("the self-test model /selftest/" + name + " is missing from the classpath");
      }
      Path dir = Files.createTempDirectory("opnp-selftest");
      Path file = dir.resolve(name);
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      file.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new IllegalStateException("could not extract the self-test model: " + e.getMessage(), e);
    }
  }

  private static CpuInfo cpu() {
    CpuInfo c = CpuInfo.read();
    if ("false".equals(System.getProperty("opnp.cpu.cache-visible"))) {
      return new CpuInfo(c.arch(), c.vendor(), c.modelName(), c.family(), c.model(), c.flags(), false, c.cpus());
    }
    return c;
  }

  /** oneDNN's version from libtorch's build summary, or "unknown". */
  static String onednnVersion() {
    try {
      Matcher m = Pattern.compile("(?:MKL-DNN|oneDNN)\\s*v?([0-9][0-9.]*)").matcher(NativeTorch.showConfig());
      return m.find() ? m.group(1) : "unknown";
    } catch (RuntimeException | LinkageError e) {
      return "unknown";
    }
  }

  private static String setting(String property, String env) {
    return firstNonBlank(System.getProperty(property), System.getenv(env));
  }

  private static String firstNonBlank(String a, String b) {
    return a != null && !a.isBlank() ? a : b != null && !b.isBlank() ? b : null;
  }
}
