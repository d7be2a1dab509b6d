package io.opnp.data;

import io.opnp.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Validation OOD proxies made from held-out ID images, never from a test set: each destroys a
 * different aspect of the in-distribution image, so a detector chosen on all of them is less likely
 * to be tuned to one kind of shift. Applied to the preprocessed CHW floats right after decoding (all
 * five commute with per-channel normalization), seeded by the image's id, so a proxy image is the same
 * on every run, executor and partitioning.
 *
 * <ul>
 *   <li>{@code shuffle}: a 4×4 grid of patches put back in random order (texture kept, shape destroyed);</li>
 *   <li>{@code permute}: every pixel position permuted (intensity histogram kept, all spatial structure lost);</li>
 *   <li>{@code blur}: a strong Gaussian blur, σ = 1/10 of the longer side (coarse shape kept, detail lost);</li>
 *   <li>{@code rotate}: a quarter turn, clockwise or not at random (a half turn for non-square inputs):
 *       right content, wrong orientation;</li>
 *   <li>{@code lfnoise}: smooth noise (a random 4×4 grid bilinearly upsampled) with the image's per-channel
 *       mean and standard deviation: image statistics kept, content gone.</li>
 * </ul>
 */
public enum ValidationProxy {
  SHUFFLE, PERMUTE, BLUR, ROTATE, LFNOISE;

  /**
   * Separates a proxy dataset's name from its source: not allowed in user dataset names. The name only labels the
   * rows; which images become a proxy is declared to the model pass ({@code RowLayout.proxies}).
   */
  public static final char SEPARATOR = '+';
  private static final int GRID = 4;

  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The cached dataset name of this proxy of dataset {@code source}. */
  public String datasetName(String source) {
    return source + SEPARATOR + key();
  }

  public static ValidationProxy parse(String key) {
    for (ValidationProxy p : values()) {
      if (p.key().equalsIgnoreCase(key.trim())) {
        return p;
      }
    }
    throw new BadInputException("unknown validation proxy '" + key + "'; choose from " + keys(List.of(values())));
  }

  /** A comma-separated list such as "shuffle,blur"; "none" gives an empty list. */
  public static List<ValidationProxy> parseList(String text) {
    List<ValidationProxy> out = new ArrayList<>();
    if (text == null || text.isBlank() || text.trim().equalsIgnoreCase("none")) {
      return out;
    }
    for (String k : text.split(",")) {
      ValidationProxy p = parse(k);
      if (out.contains(p)) {
        throw new BadInputException("validation proxy '" + p.key() + "' is listed twice in '" + text + "'");
      }
      out.add(p);
    }
    return out;
  }

  public static String keys(List<ValidationProxy> proxies) {
    return String.join(",", proxies.stream().map(ValidationProxy::key).toList());
  }

  /**
   * The image's seed: from its id alone (String.hashCode is specified), mixed so neighbours differ. Only the id's
   * {@link #portable} part counts, so the same images are held out and made into the same proxies wherever the data is
   * stored: the figures of a run can be rerun from another clone, machine or bucket.
   */
  public static long seed(String id) {
    long z = portable(id).hashCode() * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    return z ^ (z >>> 31);
  }

  /** A URI's scheme and its separator ("file:/", "hdfs://", "s3a://", ...). */
  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*:/");

  /**
   * An id without the location of its dataset: a URI in it (a folder dataset's id is its file's absolute URI, a proxy's
   * its source's behind the proxy's name) keeps only its last two path segments, the class folder and the file; an id
   * without a URI (a Parquet column's) is kept whole.
   */
  public static String portable(String id) {
    Matcher m = SCHEME.matcher(id);
    if (!m.find()) {
      return id;
    }
    int last = id.lastIndexOf('/');
    int before = last > m.end() ? id.lastIndexOf('/', last - 1) : -1;
    return before >= m.end() - 1 ? id.substring(0, m.start()) + id.substring(before + 1) : id;
  }

  /** Transforms one image in place: {@code c} planes of {@code h × w} floats from {@code offset}. */
  public void apply(float[] buf, int offset, int c, int h, int w, long seed) {
    SplittableRandom random = new SplittableRandom(seed ^ ordinal());
    float[] src = java.util.Arrays.copyOfRange(buf, offset, offset + c * h * w);
    switch (this) {
      case SHUFFLE -> shuffle(src, buf, offset, c, h, w, random);
      case PERMUTE -> permute(src, buf, offset, c, h, w, random);
      case BLUR -> blur(buf, offset, c, h, w, Math.max(h, w) / 10.0);
      case ROTATE -> rotate(src, buf, offset, c, h, w, random.nextBoolean());
      case LFNOISE -> lowFrequencyNoise(src, buf, offset, c, h, w, random);
      default -> throw new IllegalStateException("unhandled proxy " + this);
    }
  }

  private static void shuffle(float[] src, float[] out, int offset, int c, int h, int w, SplittableRandom random) {
    int ph = h / GRID;
    int pw = w / GRID;
    int[] order = shuffled(GRID * GRID, random);
    for (int ch = 0; ch < c; ch++) {
      int base = ch * h * w;
      for (int dst = 0; dst < GRID * GRID; dst++) {
        int s = order[dst];
        for (int y = 0; y < ph; y++) {
          System.arraycopy(src, base + ((s / GRID) * ph + y) * w + (s % GRID) * pw,
              out, offset + base + ((dst / GRID) * ph + y) * w + (dst % GRID) * pw, pw);
        }
      }
    }
  }

  private static void permute(float[] src, float[] out, int offset, int c, int h, int w, SplittableRandom random) {
    int[] order = shuffled(h * w, random);
    for (int ch = 0; ch < c; ch++) {
      int base = ch * h * w;
      for (int i = 0; i < h * w; i++) {
        out[offset + base + i] = src[base + order[i]];
      }
    }
  }

  private static void rotate(float[] src, float[] out, int offset, int c, int h, int w, boolean clockwise) {
    for (int ch = 0; ch < c; ch++) {
      int base = ch * h * w;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int from;
          if (h != w) {
            from = (h - 1 - y) * w + (w - 1 - x);
          } else if (clockwise) {
            from = (w - 1 - x) * w + y;       // out(y, x) = in(w-1-x, y)
          } else {
            from = x * w + (w - 1 - y);       // out(y, x) = in(x, w-1-y)
          }
          out[offset + base + y * w + x] = src[base + from];
        }
      }
    }
  }

  /** Separable Gaussian, truncated at 3σ, borders clamped. */
  static void blur(float[] buf, int offset, int c, int h, int w, double sigma) {
    int r = (int) Math.ceil(3 * sigma);
    double[] k = new double[2 * r + 1];
    double sum = 0;
    for (int i = -r; i <= r; i++) {
      k[i + r] = Math.exp(-0.5 * i * i / (sigma * sigma));
      sum += k[i + r];
    }
    for (int i = 0; i < k.length; i++) {
      k[i] /= sum;
    }
    double[] tmp = new double[h * w];
    for (int ch = 0; ch < c; ch++) {
      int base = offset + ch * h * w;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          double s = 0;
          for (int i = -r; i <= r; i++) {
            s += k[i + r] * buf[base + y * w + Math.min(w - 1, Math.max(0, x + i))];
          }
          tmp[y * w + x] = s;
        }
      }
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          double s = 0;
          for (int i = -r; i <= r; i++) {
            s += k[i + r] * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x];
          }
          buf[base + y * w + x] = (float) s;
        }
      }
    }
  }

  private static void lowFrequencyNoise(float[] src, float[] out, int offset, int c, int h, int w,
                                        SplittableRandom random) {
    double[] noise = new double[h * w];
    double[] grid = new double[(GRID + 1) * (GRID + 1)];
    for (int ch = 0; ch < c; ch++) {
      int base = ch * h * w;
      double mean = 0;
      for (int i = 0; i < h * w; i++) {
        mean += src[base + i];
      }
      mean /= h * w;
      double var = 0;
      for (int i = 0; i < h * w; i++) {
        var += (src[base + i] - mean) * (src[base + i] - mean);
      }
      double std = Math.sqrt(var / (h * w));
      for (int i = 0; i < grid.length; i++) {
        grid[i] = random.nextGaussian();
      }
      double nm = 0;
      for (int y = 0; y < h; y++) {
        double gy = (double) y * GRID / Math.max(1, h - 1);
        int y0 = Math.min(GRID - 1, (int) gy);
        double fy = gy - y0;
        for (int x = 0; x < w; x++) {
          double gx = (double) x * GRID / Math.max(1, w - 1);
          int x0 = Math.min(GRID - 1, (int) gx);
          double fx = gx - x0;
          double v = (1 - fy) * ((1 - fx) * grid[y0 * (GRID + 1) + x0] + fx * grid[y0 * (GRID + 1) + x0 + 1])
              + fy * ((1 - fx) * grid[(y0 + 1) * (GRID + 1) + x0] + fx * grid[(y0 + 1) * (GRID + 1) + x0 + 1]);
          noise[y * w + x] = v;
          nm += v;
        }
      }
      nm /= h * w;
      double nv = 0;
      for (double v : noise) {
        nv += (v - nm) * (v - nm);
      }
      double scale = nv > 0 ? std / Math.sqrt(nv / (h * w)) : 0;
      for (int i = 0; i < h * w; i++) {
        out[offset + base + i] = (float) (mean + (noise[i] - nm) * scale);
      }
    }
  }

  private static int[] shuffled(int n, SplittableRandom random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }
}
