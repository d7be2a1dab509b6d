package io.opnp.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.types.DataType;
import ai.djl.repository.zoo.ZooModel;
import io.opnp.BadInputException;
import io.opnp.EngineNumericsException;
import io.opnp.io.ClasspathFiles;
import io.opnp.numerics.CpuInfo;
import io.opnp.numerics.Deviation;
import io.opnp.numerics.NumericsMode;
import io.opnp.numerics.NumericsPolicy;
import io.opnp.numerics.NumericsStatus;
import io.opnp.numerics.SelfTestNet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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
 * the bf16 self-test runs once more when the first bf16 model is loaded, and each model's card is
 * checked when it loads ({@link #verifyModel}). Only a settled status is ever published: other
 * threads wait on the lock while a mode is being chosen or changed.
 *
 * <p>Settings (system property, or environment variable): {@code opnp.numerics} /
 * {@code OPNP_NUMERICS} = auto (default), default, avx2, no-onednn. For the fault-path tests only:
 * {@code opnp.numerics.simulate-fault} = onednn (outputs are corrupted with NaN, as the real fault
 * corrupts them, whenever libtorch really has oneDNN enabled, whatever mode the guard started in)
 * or always (in every mode), and {@code opnp.cpu.cache-visible=false} (the CPU is treated as hiding
 * its cache topology).
 */
public final class EngineGuard {
  private static final Logger LOG = LoggerFactory.getLogger(EngineGuard.class);

  /** Relative tolerance of the float32 self-test; measured deviation 1.7e-7. */
  public static final double FP32_TOLERANCE = 1e-4;
  /** bf16 keeps 8 mantissa bits and rounds every layer's output; measured deviation 3.3e-3. */
  public static final double BF16_TOLERANCE = 3e-2;

  private static volatile NumericsStatus status;
  // Guarded by EngineGuard.class.
  private static NumericsPolicy.Choice choice;
  private static CpuInfo cpu;
  private static final Map<SelfTestNet.Storage, Deviation> CHECKED = new EnumMap<>(SelfTestNet.Storage.class);
  private static final List<String> STEPS = new ArrayList<>();

  private EngineGuard() {}

  /** The settled numerics of this JVM, or null before the engine was first used. */
  public static NumericsStatus status() {
    return status;
  }

  public static double tolerance(SelfTestNet.Storage storage) {
    return storage == SelfTestNet.Storage.BF16 ? BF16_TOLERANCE : FP32_TOLERANCE;
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
      if (!CHECKED.containsKey(SelfTestNet.Storage.BF16)) {
        if (choice.mode() != NumericsMode.DEFAULT) {
          LOG.warn("a bf16 model in numerics mode {}: oneDNN's bf16 kernels need AVX-512, so it runs some 40 times "
              + "slower than in the default mode (BENCHMARKS.md, 'Numerics modes'); on this machine export the model "
              + "in float32", choice.mode().id());
        }
        Deviation d = selfTest(SelfTestNet.Storage.BF16);
        boolean ok = d.within(BF16_TOLERANCE);
        if (!ok && NumericsPolicy.after(choice, false) == NumericsPolicy.Action.FALL_BACK) {
          fallBack("the bf16 self-test", d);
        } else {
          publish();
        }
      }
      return checked(status);
    }
  }

  /**
   * Checks a freshly loaded model: its precision's self-test, and its card's golden outputs when
   * the card beside the file has them ({@link GoldenOutputs}). A mismatch falls back like a failed
   * self-test. If it persists and the outputs did not change with the mode, the card is at fault
   * (it belongs to another export: bad input, exit 2); if they changed, the engine is (exit 3). On a
   * GPU the golden check is skipped (cuDNN's TF32 convolutions differ from a CPU export by more than
   * its tolerance; the fault is the CPU's).
   */
  static void verifyModel(ZooModel<ImageBatch, ModelOutput> model, Path path, Device device) {
    if (LoadedModels.engine(model) == ModelEngine.PYTORCH) {
      ensurePrecision(LoadedModels.parameterType(model));
    }
    GoldenOutputs.find(path).ifPresent(g -> verifyGolden(model, g, path, device, g.n()));
  }

  private static final java.util.Set<String> VERIFIED_BATCHES = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * The card's golden check again at the batch size a job runs (once per JVM, model, device and
   * batch size): libtorch's kernels depend on the batch, and jobs always run full, zero-padded
   * batches, so the card's inputs are run padded with zeros to {@code batch} rows, as a job's last
   * batch is, and their rows compared.
   */
  public static void verifyAtBatch(ZooModel<ImageBatch, ModelOutput> model, Path path, Device device, int batch) {
    String key = path.toAbsolutePath().normalize() + "@" + device + "#" + batch;
    if (VERIFIED_BATCHES.contains(key)) {
      return;
    }
    GoldenOutputs.find(path).ifPresent(g -> verifyGolden(model, g, path, device, batch));
    VERIFIED_BATCHES.add(key);  // only once it passed: a failed check fails every retry too
  }

  private static void verifyGolden(ZooModel<ImageBatch, ModelOutput> model, GoldenOutputs g, Path path, Device device,
                                   int batch) {
    if (!device.equals(Device.cpu())) {
      return;
    }
    String name = path.getFileName().toString();
    if (LoadedModels.engine(model) == ModelEngine.ONNX_RUNTIME) {
      OnnxGuard.verifyGolden(g, golden(model, g, name, batch), name, batch);
      return;
    }
    synchronized (EngineGuard.class) {
      ModelOutput first = golden(model, g, name, batch);
      Deviation d = g.compare(first, name);
      if (!d.within(g.tolerance()) && NumericsPolicy.after(choice, false) == NumericsPolicy.Action.FALL_BACK) {
        fallBack("the golden outputs of " + name, d);
        checked(status);
        ModelOutput second = golden(model, g, name, batch);
        d = g.compare(second, name);
        if (!d.within(g.tolerance()) && agree(first, second, g.tolerance())) {
          throw new BadInputException(String.format("model %s gives the same outputs with oneDNN on and off, and "
              + "they differ from the golden outputs in its card %s (made with %s) by %.3g, more than its tolerance "
              + "%.0e: the card belongs to another export of the model. Regenerate it for this file with "
              + "src/main/python/make_golden_outputs.py, or remove its \"golden\" object", name, g.card(),
              g.madeWith(), d.relative(), g.tolerance()));
        }
      }
      if (!d.within(g.tolerance())) {
        throw new EngineNumericsException(String.format("model %s computes outputs on this machine that differ from "
            + "the golden outputs in its card %s (made with %s) by %.3g, more than its tolerance %.0e, in numerics mode "
            + "%s (engine self-test passed). No output was written. Fix: %s", name, g.card(), g.madeWith(),
            d.relative(), g.tolerance(), choice.mode().id(), fix()));
      }
      LOG.info("model {}: golden outputs of its card reproduced (largest deviation {}, tolerance {}, {} inputs in a "
          + "batch of {})", name, String.format("%.2g", d.relative()), g.tolerance(), Math.min(g.n(), batch), batch);
    }
  }

  private static boolean agree(ModelOutput a, ModelOutput b, double tolerance) {
    return Deviation.of(b.features(), a.features(), a.n() * a.dim())
        .max(Deviation.of(b.logits(), a.logits(), a.n() * a.classes())).within(tolerance);
  }

  /** The card's first min(N, batch) inputs followed by zero rows up to {@code batch}. */
  private static float[] padded(GoldenOutputs g, int batch) {
    int[] s = g.inputShape();
    int per = s[1] * s[2] * s[3];
    float[] x = new float[batch * per];
    System.arraycopy(g.inputs(), 0, x, 0, Math.min(g.n(), batch) * per);
    return x;
  }

  /**
   * The model's outputs on the card's inputs: run twice, the second result kept, since TorchScript's
   * profiling executor optimizes the graph after its first run and jobs run the optimized graph.
   */
  static ModelOutput golden(ZooModel<ImageBatch, ModelOutput> model, GoldenOutputs g, String name, int rows) {
    DataType input = Precision.AUTO.inputType(LoadedModels.parameterType(model), name);
    int[] s = g.inputShape();
    try (Predictor<ImageBatch, ModelOutput> p = model.newPredictor()) {
      ImageBatch batch = new ImageBatch(rows == g.n() ? g.inputs() : padded(g, rows), rows, s[1], s[2], s[3], input);
      p.predict(batch);
      ModelOutput out = p.predict(batch);
      simulateFault(out);
      return out;
    } catch (ai.djl.translate.TranslateException | RuntimeException e) {
      if (e instanceof BadInputException b) {
        throw b;
      }
      throw new BadInputException("model " + name + " could not run the golden inputs of its card " + g.card()
          + " (shape " + java.util.Arrays.toString(s) + "): " + e.getMessage() + "; make the card's inputs match "
          + "what the model takes (src/main/python/make_golden_outputs.py), or remove its \"golden\" object", e);
    }
  }

  /** The fix to print when the guard gives up, knowing what it tried. */
  private static String fix() {
    boolean avx2 = STEPS.stream().anyMatch(x -> x.startsWith("start in avx2") || x.contains("ISA=AVX2 is set")
        || x.startsWith("start in user-isa"));
    return NumericsPolicy.fix(choice != null && !choice.automatic(), avx2, cpu == null || cpu.x86());
  }

  private static NumericsStatus checked(NumericsStatus s) {
    if (!s.passed()) {
      throw new EngineNumericsException("libtorch computes wrong values on this machine (" + s.cpu().describe()
          + "): the engine self-test deviates from its float64 reference by " + String.format("%.3g", s.selfTest().relative())
          + " (tolerance " + s.tolerance() + ") in the last mode tried; steps: " + String.join("; ", s.steps())
          + ". No output was written. Fix: " + fix());
    }
    return s;
  }

  private static void settle() {
    CHECKED.clear();
    STEPS.clear();
    cpu = cpu();
    String userIsa = firstNonBlank(System.getenv("ONEDNN_MAX_CPU_ISA"), System.getenv("DNNL_MAX_CPU_ISA"));
    choice = NumericsPolicy.initial(cpu, setting("opnp.numerics", "OPNP_NUMERICS"), userIsa);
    if (choice.mode() == NumericsMode.AVX2) {
      // Must reach the C environment before oneDNN first dispatches (it reads the cap once).
      NativeTorch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2");
    }
    Engine.getEngine("PyTorch");
    if (choice.mode() == NumericsMode.NO_ONEDNN) {
      switchOnednnOff();
    }
    STEPS.add("start in " + choice.mode().id() + " (" + choice.reason() + ")");
    if (choice.mode() != NumericsMode.AVX2 && userIsa != null) {
      STEPS.add("ONEDNN_MAX_CPU_ISA/DNNL_MAX_CPU_ISA=" + userIsa + " is set in the environment and caps oneDNN");
    }
    if (choice.mode() == NumericsMode.AVX2 && !"AVX2".equals(NativeTorch.getenv("ONEDNN_MAX_CPU_ISA"))) {
      STEPS.add("WARNING: ONEDNN_MAX_CPU_ISA=AVX2 did not reach the process environment");
    }
    Deviation d = selfTest(SelfTestNet.Storage.FP32);
    if (NumericsPolicy.after(choice, d.within(FP32_TOLERANCE)) == NumericsPolicy.Action.FALL_BACK) {
      fallBack("the self-test", d);
    } else {
      publish();
    }
  }

  /** Switches oneDNN off (possible at any time), re-runs every self-test done so far, publishes. */
  private static void fallBack(String what, Deviation failed) {
    LOG.warn("{} FAILED in numerics mode {} (largest deviation {}); switching oneDNN off and testing again", what,
        choice.mode().id(), String.format("%.3g", failed.relative()));
    switchOnednnOff();
    choice = NumericsPolicy.fallback(choice, what, failed);
    STEPS.add("fall back to " + choice.mode().id());
    List<SelfTestNet.Storage> again = new ArrayList<>(CHECKED.keySet());
    CHECKED.clear();
    for (SelfTestNet.Storage s : again) {
      selfTest(s);
    }
    publish();
  }

  private static void switchOnednnOff() {
    try {
      NativeTorch.setOnednnEnabled(false);
      if (NativeTorch.onednnEnabled()) {
        throw new IllegalStateException("libtorch still reports oneDNN enabled");
      }
    } catch (RuntimeException | LinkageError e) {
      STEPS.add("could not switch oneDNN off: " + e);
      status = build(false);
      throw new EngineNumericsException("the engine needs oneDNN switched off on this machine (" + cpu.describe()
          + ") but libtorch's switch could not be reached (" + e + "); steps: " + String.join("; ", STEPS)
          + ". No output was written. Fix: " + fix());
    }
  }

  /** Publishes the status of every self-test run in the current mode. */
  private static void publish() {
    boolean ok = CHECKED.entrySet().stream().allMatch(e -> e.getValue().within(tolerance(e.getKey())));
    status = build(ok);
    if (ok) {
      LOG.info("{}", status.summary());
    } else {
      LOG.error("{}", status.summary());
    }
  }

  private static NumericsStatus build(boolean passed) {
    // The deviation reported is the one closest to (or furthest past) its own tolerance.
    SelfTestNet.Storage worst = SelfTestNet.Storage.FP32;
    double ratio = -1;
    for (var e : CHECKED.entrySet()) {
      double r = e.getValue().relative() / tolerance(e.getKey());
      if (r > ratio) {
        ratio = r;
        worst = e.getKey();
      }
    }
    Deviation d = CHECKED.getOrDefault(worst, Deviation.NONE);
    Engine engine = Engine.getEngine("PyTorch");
    return new NumericsStatus(choice.mode(), choice.reason(), passed, d, tolerance(worst),
        "PyTorch (DJL " + Engine.getDjlVersion() + ")", engine.getVersion(), onednnVersion(), cpu, STEPS);
  }

  /** Runs the self-test network in {@code storage} at batch 1 and 17 and records its largest deviation. */
  private static Deviation selfTest(SelfTestNet.Storage storage) {
    long start = System.nanoTime();
    Deviation d;
    String error = "";
    try {
      d = deviation(storage, new SelfTestNet(storage));
    } catch (EngineRunException e) {
      // An engine that throws on the self-test network computes no better than one that returns NaN.
      d = new Deviation(Double.POSITIVE_INFINITY, -1, Float.NaN, 0);
      error = " (libtorch failed: " + e.getMessage() + ")";
    }
    CHECKED.put(storage, d);
    STEPS.add(String.format(Locale.ROOT, "self-test %s in %s: largest deviation %.3g (%d ms)%s",
        storage.name().toLowerCase(Locale.ROOT), choice.mode().id(), d.relative(), (System.nanoTime() - start) / 1_000_000,
        error));
    return d;
  }

  /** The engine (libtorch or ONNX Runtime) threw while running the self-test network. */
  static final class EngineRunException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EngineRunException(Throwable cause) {
      super(cause.getMessage() == null ? cause.toString() : cause.getMessage().lines().findFirst().orElse(""), cause);
    }
  }

  /** The self-test model in {@code storage}, run by libtorch, against {@code reference}. */
  static Deviation deviation(SelfTestNet.Storage storage, SelfTestNet reference) {
    return deviation(storage, reference, ModelEngine.PYTORCH);
  }

  /** The self-test model in {@code storage}, run by {@code engine}, against {@code reference}. */
  static Deviation deviation(SelfTestNet.Storage storage, SelfTestNet reference, ModelEngine engine) {
    Deviation d = Deviation.NONE;
    try (ZooModel<ImageBatch, ModelOutput> model = loadSelfTest(storage, engine);
         Predictor<ImageBatch, ModelOutput> p = model.newPredictor()) {
      for (int n : SelfTestNet.BATCHES) {
        float[] x = SelfTestNet.input(n);
        ModelOutput out;
        try {
          out = p.predict(new ImageBatch(x, n, SelfTestNet.CHANNELS, SelfTestNet.SIZE, SelfTestNet.SIZE));
        } catch (ai.djl.translate.TranslateException | ai.djl.engine.EngineException e) {
          throw new EngineRunException(e);
        }
        if (engine == ModelEngine.PYTORCH) {
          simulateFault(out);
        }
        SelfTestNet.Outputs r = reference.forward(x, n);
        d = d.max(Deviation.of(out.features(), r.features(), n * SelfTestNet.FEATURES))
            .max(Deviation.of(out.logits(), r.logits(), n * SelfTestNet.CLASSES));
      }
    }
    return d;
  }

  /** Loads the self-test network from the classpath through a temporary file, deleted once loaded. */
  private static ZooModel<ImageBatch, ModelOutput> loadSelfTest(SelfTestNet.Storage storage, ModelEngine engine) {
    String name = "selftest-" + storage.name().toLowerCase(Locale.ROOT)
        + (engine == ModelEngine.PYTORCH ? ".pt" : ".onnx");
    Path dir = null;
    try {
      dir = ClasspathFiles.copy("selftest", "opnp-selftest", name);
      return LoadedModels.criteria(dir.resolve(name), Device.cpu(), engine, new BatchTranslator("engine self-test"))
          .loadModel();
    } catch (IOException | ai.djl.repository.zoo.ModelNotFoundException | ai.djl.MalformedModelException e) {
      throw new IllegalStateException("could not load the engine self-test model " + name + ": " + e.getMessage(), e);
    } finally {
      if (dir != null && !ClasspathFiles.delete(dir)) {  // loaded into memory: the file is no longer needed
        LOG.debug("could not delete {}", dir);
      }
    }
  }

  /**
   * Test hook: corrupts outputs as the real fault does (NaN features). "onednn" keys on libtorch's
   * real state, not on the guard's belief, so a switch that did not take effect would not hide it.
   */
  private static void simulateFault(ModelOutput out) {
    String sim = System.getProperty("opnp.numerics.simulate-fault", "");
    if (sim.equals("always") || (sim.equals("onednn") && NativeTorch.onednnEnabled())) {
      out.features()[0] = Float.NaN;
    }
  }

  private static CpuInfo cpu() {
    CpuInfo c = CpuInfo.read();
    if ("false".equals(System.getProperty("opnp.cpu.cache-visible"))) {
      return new CpuInfo(c.arch(), c.vendor(), c.modelName(), c.family(), c.model(), c.flags(), false, c.cpus());
    }
    return c;
  }

  private static String onednnVersion;

  /** oneDNN's version from libtorch's build summary (read once; x86-64 only), or "unknown". */
  static synchronized String onednnVersion() {
    if (onednnVersion == null) {
      onednnVersion = "unknown";
      if (cpu == null || cpu.x86()) {  // NativeTorch.showConfig relies on the x86-64 calling convention
        try {
          Matcher m = Pattern.compile("(?:MKL-DNN|oneDNN)\\s*v?([0-9][0-9.]*)").matcher(NativeTorch.showConfig());
          if (m.find()) {
            onednnVersion = m.group(1);
          }
        } catch (RuntimeException | LinkageError e) {
          LOG.debug("libtorch's build summary is not readable: {}", e.toString());
        }
      }
    }
    return onednnVersion;
  }

  private static String setting(String property, String env) {
    return firstNonBlank(System.getProperty(property), System.getenv(env));
  }

  private static String firstNonBlank(String a, String b) {
    return a != null && !a.isBlank() ? a : b != null && !b.isBlank() ? b : null;
  }
}
