package io.opnp.data;

import io.opnp.math.Check;
import java.io.Serializable;

/**
 * How encoded images become model input: channels (1 = grey, 3 = RGB), the model's input size,
 * pixels scaled to [0,1], then an optional per-channel {@code (x − mean) / std}. Images of another
 * size are resized bilinearly to the input size, or, with {@code resizeShorter} &gt; 0, resized so
 * that their shorter side has that length and centre-cropped to the input size (ImageNet's
 * evaluation transform: 256, then 224). The demo model normalizes inside itself, so its default is none.
 * Images whose header announces more than {@code maxImagePixels} pixels are refused before any
 * pixel memory is allocated (decompression bombs). {@code resampling} is how images are resized: see {@link Resampling}.
 */
public record Preprocess(int channels, int height, int width, float[] mean, float[] std, int resizeShorter,
                         long maxImagePixels, Resampling resampling) implements Serializable {

  /** How images are resized to the model's input. */
  public enum Resampling {
    /**
     * Bilinear with half-pixel centres and no antialiasing (OpenCV's INTER_LINEAR, {@code torch.nn.functional
     * .interpolate(mode="bilinear", antialias=False)}): fast; shrinking by much skips source pixels.
     */
    BILINEAR,
    /**
     * PIL's bilinear filter, antialiased (the triangle widened by the reduction factor) and rounded to 8 bits after
     * each pass, as torchvision's {@code Resize} computes on PIL images, which is how most ImageNet models were
     * evaluated: use it for them.
     */
    PIL;

    /** The name users write, e.g. {@code pil}. */
    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Resampling parse(String name) {
      for (Resampling r : values()) {
        if (r.key().equalsIgnoreCase(name == null ? "" : name.trim())) {
          return r;
        }
      }
      throw new IllegalArgumentException("unknown resampling '" + name + "'; choose bilinear or pil");
    }
  }
  /**
   * PIL's {@code Image.MAX_IMAGE_PIXELS}, where PIL warns of a decompression bomb. Decoding costs
   * about 15 bytes of heap per pixel here (the decoded raster, then one float plane per channel),
   * so this caps one image at about 1.3 GB in one decode thread; PIL's error threshold, twice
   * this, would allow 2.7 GB per thread, more than most executors can spare on every core.
   */
  public static final long DEFAULT_MAX_IMAGE_PIXELS = 89_478_485L;

  public Preprocess {
    Check.argument(resampling != null, "resampling must be one of bilinear, pil");
    Check.argument(maxImagePixels > 0, "max-image-pixels must be positive, got %s", maxImagePixels);
    Check.argument(resizeShorter >= 0, "resize-shorter must be >= 0, got %s", resizeShorter);
    Check.argument(resizeShorter == 0 || resizeShorter >= Math.max(height, width),
        "resize-shorter %s is smaller than the %sx%s crop", resizeShorter, height, width);
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

  /** Bilinear resampling (no antialiasing). */
  public Preprocess(int channels, int height, int width, float[] mean, float[] std, int resizeShorter,
                    long maxImagePixels) {
    this(channels, height, width, mean, std, resizeShorter, maxImagePixels, Resampling.BILINEAR);
  }

  /** With the default pixel limit. */
  public Preprocess(int channels, int height, int width, float[] mean, float[] std, int resizeShorter) {
    this(channels, height, width, mean, std, resizeShorter, DEFAULT_MAX_IMAGE_PIXELS);
  }

  /** Resizes straight to the input size (no crop), as for the demo model. */
  public Preprocess(int channels, int height, int width, float[] mean, float[] std) {
    this(channels, height, width, mean, std, 0);
  }

  /** This preprocessing with another pixel limit. */
  public Preprocess withMaxImagePixels(long limit) {
    return new Preprocess(channels, height, width, mean, std, resizeShorter, limit, resampling);
  }

  /** This preprocessing with another resampling. */
  public Preprocess withResampling(Resampling r) {
    return new Preprocess(channels, height, width, mean, std, resizeShorter, maxImagePixels, r);
  }

  public static Preprocess grey(int height, int width) {
    return new Preprocess(1, height, width, null, null);
  }

  public int pixels() {
    return channels * height * width;
  }
}
