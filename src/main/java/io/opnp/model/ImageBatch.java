package io.opnp.model;

import io.opnp.math.Check;

/** A batch of n preprocessed images, float32 NCHW in a reusable buffer (only the first n·c·h·w used). */
public record ImageBatch(float[] data, int n, int channels, int height, int width) {
  public ImageBatch {
    Check.argument(n > 0, "batch size must be positive, got %s", n);
    Check.capacity(data, (long) n * channels * height * width, "image batch buffer");
  }

  public int length() {
    return n * channels * height * width;
  }
}
