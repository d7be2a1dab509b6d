package io.opnp.model;

import ai.djl.Device;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.opnp.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model per JVM, file and device (DESIGN §4): executors load the model on their first
 * task and reuse it; each task opens its own {@link ai.djl.inference.Predictor}. A TorchScript file
 * runs on libtorch, an ONNX file on ONNX Runtime (one session per model, shared by the tasks;
 * {@link ModelEngine}).
 */
public final class LoadedModels {
  private static final Logger LOG = LoggerFactory.getLogger(LoadedModels.class);
  private static final ConcurrentHashMap<String, ZooModel<ImageBatch, ModelOutput>> CACHE = new ConcurrentHashMap<>();

  private static final ConcurrentHashMap<ZooModel<?, ?>, Path> FILES = new ConcurrentHashMap<>();
  private static volatile int intraOpThreads = 1;

  private LoadedModels() {}

  /**
   * Sets libtorch's thread counts before the engine starts (later calls have no effect), and ONNX
   * Runtime's intra-op threads for the sessions loaded after it. With several Spark tasks per
   * executor, one intra-op thread per task avoids oversubscribing cores.
   */
  public static void configureThreads(int intraOpThreads) {
    if (intraOpThreads > 0) {
      LoadedModels.intraOpThreads = intraOpThreads;  // ONNX Runtime: per session, set when a model loads
    }
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    if (System.getProperty("ai.djl.pytorch.num_threads") == null && intraOpThreads > 0) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOpThreads));
    }
    if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }

  private static final ConcurrentHashMap<ZooModel<?, ?>, ai.djl.ndarray.types.DataType> PARAM_TYPES =
      new ConcurrentHashMap<>();

  /**
   * The dtype of the model's first floating parameter (float32 for a model without any). DJL 0.33
   * reports libtorch's bfloat16 tensors as UNKNOWN (and reports float16 as FLOAT16), so an UNKNOWN
   * parameter of two bytes per element is bf16.
   */
  public static ai.djl.ndarray.types.DataType parameterType(ZooModel<?, ?> model) {
    if (engine(model) == ModelEngine.ONNX_RUNTIME) {
      return ai.djl.ndarray.types.DataType.FLOAT32;  // ONNX models run in float32 here (OnnxInitializers)
    }
    return PARAM_TYPES.computeIfAbsent(model, m -> {
      for (var p : m.getBlock().getParameters()) {
        ai.djl.ndarray.NDArray a = p.getValue().getArray();
        ai.djl.ndarray.types.DataType t = a.getDataType();
        if (t.isFloating()) {
          return t;
        }
        if (t == ai.djl.ndarray.types.DataType.UNKNOWN && a.size() > 0
            && a.toByteBuffer().remaining() == 2 * a.size()) {
          return ai.djl.ndarray.types.DataType.BFLOAT16;
        }
      }
      return ai.djl.ndarray.types.DataType.FLOAT32;
    });
  }

  /**
   * The JVM's loaded model for this file and device. The first call settles the engine's numerics
   * ({@link EngineGuard}: self-test, safe mode where needed) before any model runs; each model is
   * then verified once per JVM (its precision's self-test, its card's golden outputs if it has any).
   */
  public static ZooModel<ImageBatch, ModelOutput> get(Path path, Device device) {
    EngineGuard.ensure();
    String key = path.toAbsolutePath().normalize() + "@" + device;
    return CACHE.computeIfAbsent(key, k -> load(path, device));
  }

  /** The engine that runs {@code model} (one loaded here or any DJL model). */
  public static ModelEngine engine(ai.djl.Model model) {
    return ModelEngine.ONNX_RUNTIME.djlName().equals(model.getNDManager().getEngine().getEngineName())
        ? ModelEngine.ONNX_RUNTIME : ModelEngine.PYTORCH;
  }

  /** The file a model loaded here came from (ONNX Runtime does not hand its initializers back). */
  public static Path file(ai.djl.Model model) {
    Path p = FILES.get(model);
    if (p == null) {
      throw new IllegalStateException("model " + model.getName() + " was not loaded by LoadedModels");
    }
    return p;
  }

  private static ZooModel<ImageBatch, ModelOutput> load(Path path, Device device) {
    if (!Files.isRegularFile(path)) {
      throw new BadInputException("model file " + path + " does not exist or is not a file; "
          + "pass the path of a TorchScript .pt or an ONNX .onnx file with --model");
    }
    ModelEngine engine = ModelEngine.of(path);
    if (engine == ModelEngine.ONNX_RUNTIME) {
      OnnxGuard.ensure();
    }
    String name = path.getFileName().toString();
    long start = System.nanoTime();
    ZooModel<ImageBatch, ModelOutput> model;
    try {
      model = criteria(path, device, engine, new BatchTranslator(name)).loadModel();
    } catch (Exception e) {
      throw new BadInputException("could not load " + path + " as " + (engine == ModelEngine.PYTORCH ? "a " : "an ")
          + engine.format() + " model (" + rootMessage(e) + "); export it with torch.jit.trace(...).save(path) or "
          + "torch.onnx.export (see README, 'Model contract')", e);
    }
    FILES.put(model, path);
    LOG.info("loaded {} model {} on {} ({}) in {} ms", engine.format(), path, device, engine.djlName(),
        (System.nanoTime() - start) / 1_000_000);
    try {
      EngineGuard.verifyModel(model, path, device);
    } catch (RuntimeException e) {
      FILES.remove(model);
      model.close();
      throw e;
    }
    return model;
  }

  /**
   * How DJL loads a model file on an engine. ONNX Runtime: all graph optimizations, one session per
   * model whose intra-op threads are the per-task thread count (Spark runs a task per core; each
   * task's run then stays on its own core), and CUDA when the device is a GPU.
   */
  static Criteria<ImageBatch, ModelOutput> criteria(Path path, Device device, ModelEngine engine,
                                                    BatchTranslator translator) {
    var b = Criteria.builder()
        .setTypes(ImageBatch.class, ModelOutput.class)
        .optModelPath(path)
        .optEngine(engine.djlName())
        .optDevice(device)
        .optTranslator(translator);
    if (engine == ModelEngine.PYTORCH) {
      b.optOption("mapLocation", "true");
    } else {
      b.optOption("intraOpNumThreads", Integer.toString(intraOpThreads))
          .optOption("interOpNumThreads", "1")
          .optOption("optLevel", "ALL_OPT")
          .optOption("executionMode", "SEQUENTIAL");
    }
    return b.build();
  }

  private static String rootMessage(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    int nl = m.indexOf('\n');
    return nl > 0 ? m.substring(0, nl) : m;
  }
}
