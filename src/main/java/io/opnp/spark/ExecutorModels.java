package io.opnp.spark;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.repository.zoo.ZooModel;
import io.opnp.model.ImageBatch;
import io.opnp.model.ModelOutput;
import io.opnp.model.TorchModels;
import java.io.File;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.spark.SparkFiles;
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
    TorchModels.configureThreads(cfg.torchThreads());
    io.opnp.model.EngineGuard.ensure();  // before device() starts the engine: the ISA cap must come first
    return TorchModels.get(resolve(cfg), device());
  }

  /**
   * Ships the model file, and its card if it has one, to the executors (Spark's {@code addFile})
   * unless they share the driver's JVM; adding the same file twice is harmless.
   */
  public static void ship(org.apache.spark.sql.SparkSession spark, InferenceConfig cfg) {
    if (!spark.sparkContext().isLocal()) {
      addFile(spark, cfg.modelPath());
      // The model card beside it (M.pt -> M.json) carries golden outputs the executors check at load.
      Path card = io.opnp.model.GoldenOutputs.cardFor(Paths.get(cfg.modelPath()));
      if (java.nio.file.Files.isRegularFile(card)) {
        addFile(spark, card.toString());
      }
    }
  }

  private static void addFile(org.apache.spark.sql.SparkSession spark, String path) {
    try {
      spark.sparkContext().addFile(path);
    } catch (IllegalArgumentException alreadyAdded) {
      LOG.debug("file already shipped: {}", alreadyAdded.getMessage());
    }
  }

  /** The driver's path when this JVM sees it (local mode, shared storage), else Spark's shipped copy. */
  static Path resolve(InferenceConfig cfg) {
    File local = new File(cfg.modelPath());
    if (local.isFile()) {
      return local.toPath();
    }
    return Paths.get(SparkFiles.get(cfg.modelName()));
  }

  /** The GPU Spark assigned to this task (resource "gpu"), or the CPU. */
  static Device device() {
    TaskContext tc = TaskContext.get();
    if (tc != null) {
      Option<ResourceInformation> gpu = tc.resources().get("gpu");
      if (gpu.isDefined() && gpu.get().addresses().length > 0) {
        int id = Integer.parseInt(gpu.get().addresses()[0].trim());
        if (Engine.getEngine("PyTorch").getGpuCount() > id) {
          return Device.gpu(id);
        }
        LOG.warn("Spark assigned GPU {} but libtorch sees {} GPU(s) (CPU-only native library?); using the CPU",
            id, Engine.getEngine("PyTorch").getGpuCount());
      }
    }
    return Device.cpu();
  }
}
