package io.opnp.spark;

import io.opnp.data.Preprocess;
import io.opnp.math.Check;
import io.opnp.model.Precision;
import java.io.Serializable;

/**
 * Everything an executor needs to run the model on images: the model's identity (its location and
 * SHA-256; executors load the copy Spark shipped, checked against it), the head's parameter
 * names, preprocessing, batch size, decode threads, the input precision, and whether unreadable
 * images fail the job (the default) or are skipped and counted. Immutable and small, so it
 * travels in task closures.
 *
 * @param decodeThreads threads per executor JVM that decode images while the model runs; 0 = one per core
 */
public record InferenceConfig(
    io.opnp.io.ModelRef model,
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
    Check.argument(model != null, "a model is required");
    Check.positive(batchSize, "batch size");
    Check.finitePositive(temperature, "temperature");
    Check.argument(decodeThreads >= 0, "decode threads must be >= 0 (0 = one per core), got %s", decodeThreads);
    Check.argument(precision != null, "a precision is required (auto, fp32, fp16 or bf16)");
  }

  /** One decode thread per core and the model's own precision. */
  public InferenceConfig(io.opnp.io.ModelRef model, String weightParam, String biasParam,
                         Preprocess preprocess, int batchSize, int torchThreads, double temperature,
                         boolean skipBadImages) {
    this(model, weightParam, biasParam, preprocess, batchSize, torchThreads, temperature,
        skipBadImages, 0, Precision.AUTO);
  }

  /** This configuration with another batch size. */
  public InferenceConfig withBatchSize(int size) {
    return new InferenceConfig(model, weightParam, biasParam, preprocess, size, torchThreads,
        temperature, skipBadImages, decodeThreads, precision);
  }

  /** Where the user named the model (a local path or a Hadoop URI). */
  public String modelPath() {
    return model.location();
  }

  public String modelSha256() {
    return model.sha256();
  }

  public String modelName() {
    return model.name();
  }
}
