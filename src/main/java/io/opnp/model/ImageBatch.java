package io.opnp.model;

import ai.djl.ndarray.types.DataType;
import io.opnp.math.Check;

/**
 * A batch of n preprocessed images, float32 NCHW in a reusable buffer (only the first n·c·h·w
 * used), and the dtype the model takes them in (cast on the way in when it is not float32).
 */
public record ImageBatch(float[] data, int n, int channels, int height, int width, DataType type) {
  public ImageBatch {
    Check.argument(n > 0, "batch size must be positive, got %s", n);
    Check.capacity(data, (long) n * channels * height * width, "image batch buffer");
    Check.argument(type != null && type.isFloating(), "the input type must be a floating type, got %s", type);
  }

  public ImageBatch(float[] data, int n, int channels, int height, int width) {
    this(data, n, channels, height, width, DataType.FLOAT32);
  }

  public int length() {
    return n * channels * height * width;
  }
}
