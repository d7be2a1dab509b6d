package io.opnp.spark;

import io.opnp.data.Preprocess;
import io.opnp.math.Check;
import io.opnp.model.Precision;
import java.io.Serializable;

/**
 * Everything an executor needs to run the model on images: where the TorchScript file is (a local
 * path, else the copy Spark shipped with {@code addFile}), its identity, the head's parameter
 * names, preprocessing, batch size, decode threads, the input precision, and whether unreadable
 * images fail the job (the default) or are skipped and counted. Immutable and small, so it
 * travels in task closures.
 *
 * @param decodeThreads threads per executor JVM that decode images while the model runs; 0 = one per core
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
    boolean skipBadImages,
    int decodeThreads,
    Precision precision) implements Serializable {

  public InferenceConfig {
    Check.argument(modelPath != null && !modelPath.isEmpty(), "a model path is required");
    Check.positive(batchSize, "batch size");
    Check.finitePositive(temperature, "temperature");
    Check.argument(decodeThreads >= 0, "decode threads must be >= 0 (0 = one per core), got %s", decodeThreads);
    Check.argument(precision != null, "a precision is required (auto, fp32, fp16 or bf16)");
  }

  /** One decode thread per core and the model's own precision. */
  public InferenceConfig(String modelPath, String modelSha256, String weightParam, String biasParam,
                         Preprocess preprocess, int batchSize, int torchThreads, double temperature,
                         boolean skipBadImages) {
    this(modelPath, modelSha256, weightParam, biasParam, preprocess, batchSize, torchThreads, temperature,
        skipBadImages, 0, Precision.AUTO);
  }

  /** This configuration with another batch size. */
  public InferenceConfig withBatchSize(int size) {
    return new InferenceConfig(modelPath, modelSha256, weightParam, biasParam, preprocess, size, torchThreads,
        temperature, skipBadImages, decodeThreads, precision);
  }

  public String modelName() {
    return new java.io.File(modelPath).getName();
  }
}
