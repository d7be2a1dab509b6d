package io.opnp.data;

import io.opnp.math.Check;
import java.io.Serializable;

/**
 * How encoded images become model input: channels (1 = grey, 3 = RGB), the model's input size
 * (images of another size are resized bilinearly), pixels scaled to [0,1], then an optional
 * per-channel {@code (x − mean) / std}. The demo model normalizes inside itself, so its default is none.
 */
public record Preprocess(int channels, int height, int width, float[] mean, float[] std) implements Serializable {
  public Preprocess {
    Check.argument(channels == 1 || channels == 3, "channels must be 1 (grey) or 3 (RGB), got %s", channels);
    Check.positive(height, "input height");
    Check.positive(width, "input width");
    Check.argument((mean == null) == (std == null), "mean and std must be given together");
    if (mean != null) {
      Check.argument(mean.length == channels && std.length == channels,
          "mean and std need %s value(s) each, got %s and %s", channels, mean.length, std.length);
      for (float s : std) {
        Check.argument(s > 0, "std values must be positive, got %s", s);
      }
    }
  }

  public static Preprocess grey(int height, int width) {
    return new Preprocess(1, height, width, null, null);
  }

  public int pixels() {
    return channels * height * width;
  }
}
