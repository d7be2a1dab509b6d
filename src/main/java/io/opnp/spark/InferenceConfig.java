package io.opnp.spark;

import io.opnp.data.Preprocess;
import io.opnp.math.Check;
import java.io.Serializable;

/**
 * Everything an executor needs to run the model on images: where the TorchScript file is (a local
 * path, else the copy Spark shipped with {@code addFile}), its identity, the head's parameter
 * names, preprocessing, batch size, and whether unreadable images fail the job (the default) or
 * are skipped and counted. Immutable and small, so it travels in task closures.
 */
public record InferenceConfig(
    String modelPath,
    String modelSha256,
    String weightParam,
    String biasParam,
    Preprocess preprocess,
    int batchSize,
    int torchThreads,
    double temperature,
    boolean skipBadImages) implements Serializable {

  public InferenceConfig {
    Check.argument(modelPath != null && !modelPath.isEmpty(), "a model path is required");
    Check.positive(batchSize, "batch size");
    Check.finitePositive(temperature, "temperature");
  }

  public String modelName() {
    return new java.io.File(modelPath).getName();
  }
}
