package io.opnp.spark;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.repository.zoo.ZooModel;
import io.opnp.io.ModelRef;
import io.opnp.io.ModelStaging;
import io.opnp.model.ImageBatch;
import io.opnp.model.ModelOutput;
import io.opnp.model.LoadedModels;
import io.opnp.spark.line.SparkLine;
import java.nio.file.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/** Finds the model file and device for the current task and returns the JVM's cached model. */
public final class ExecutorModels {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);

  private ExecutorModels() {}

  public static ZooModel<ImageBatch, ModelOutput> model(InferenceConfig cfg) {
    LoadedModels.configureThreads(cfg.torchThreads());
    io.opnp.model.EngineGuard.ensure();  // before device() starts the engine: the ISA cap must come first
    Path file = resolve(cfg);
    return LoadedModels.get(file, device(io.opnp.model.ModelEngine.of(file)));
  }

  /**
   * Ships the model and its card to the executors (Spark's {@code addFile}) under names unique by
   * content ({@link ModelRef#shippedName()}), unless they share the driver's JVM. Adding the same
   * content twice is harmless: the same name always means the same bytes.
   */
  public static void ship(org.apache.spark.sql.SparkSession spark, InferenceConfig cfg) {
    if (!spark.sparkContext().isLocal()) {
      for (Path file : ModelStaging.shippable(cfg.model())) {
        addFile(spark, file.toString());
      }
    }
  }

  private static void addFile(org.apache.spark.sql.SparkSession spark, String path) {
    try {
      SparkLine.addFile(spark, path);
    } catch (IllegalArgumentException alreadyAdded) {
      LOG.debug("file already shipped: {}", alreadyAdded.getMessage());
    }
  }

  /**
   * This JVM's verified copy of the model: the one the driver staged (local mode), else the one
   * Spark shipped, checked against the driver's SHA-256 before the first batch. Never a file that
   * merely has the driver's path on this node.
   */
  static Path resolve(InferenceConfig cfg) {
    ModelRef ref = cfg.model();
    return ModelStaging.local(ref).orElseGet(() -> ModelStaging.adopt(ref, shipped(ref.shippedName()),
        ref.hasCard() ? shipped(ref.shippedCardName()) : null));
  }

  private static Path shipped(String name) {
    return SparkLine.shippedFile(name);
  }

  /** The device this task runs {@code cfg}'s model on. */
  static Device device(InferenceConfig cfg) {
    return device(io.opnp.model.ModelEngine.of(resolve(cfg)));
  }

  /**
   * The GPU Spark assigned to this task (resource "gpu") if the engine can use it, else the CPU:
   * libtorch with CUDA natives (the cuda profile), ONNX Runtime with its CUDA execution provider
   * (the onnxruntime_gpu natives, also the cuda profile).
   */
  static Device device(io.opnp.model.ModelEngine engine) {
    TaskContext tc = TaskContext.get();
    if (tc != null) {
      Option<ResourceInformation> gpu = tc.resources().get("gpu");
      if (gpu.isDefined() && gpu.get().addresses().length > 0) {
        int id = Integer.parseInt(gpu.get().addresses()[0].trim());
        Engine e = Engine.getEngine(engine.djlName());
        int visible = engine == io.opnp.model.ModelEngine.PYTORCH || e.hasCapability(ai.djl.engine.StandardCapabilities.CUDA)
            ? e.getGpuCount() : 0;
        if (visible > id) {
          return Device.gpu(id);
        }
        LOG.warn("Spark assigned GPU {} but {} sees {} GPU(s) (CPU-only native library?); using the CPU",
            id, engine.djlName(), visible);
      }
    }
    return Device.cpu();
  }
}
