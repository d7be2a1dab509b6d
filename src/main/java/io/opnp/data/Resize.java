package io.opnp.data;

/**
 * Resampling of one float plane: {@link #bilinear} with half-pixel centres (as OpenCV's INTER_LINEAR and
 * {@code torch.nn.functional.interpolate(antialias=False)}; no antialiasing filter when shrinking), and {@link #pilCrop},
 * PIL's bilinear filter (the triangle widened by the reduction factor, so shrinking averages every source pixel) in
 * PIL's own 8-bit fixed-point arithmetic, as torchvision's {@code Resize} computes on PIL images.
 */
final class Resize {
  private Resize() {}

  /**
   * The {@code ch × cw} window at ({@code top}, {@code left}) of {@link #bilinear}'s {@code dh × dw}
   * output, computed alone: the same numbers as resizing whole and cropping, without the pixels the
   * crop throws away.
   */
  static void bilinearCrop(float[] src, int sh, int sw, int dh, int dw, int top, int left, float[] dst, int offset,
                           int ch, int cw) {
    float sy = (float) sh / dh;
    float sx = (float) sw / dw;
    int[] x0s = new int[cw];
    int[] x1s = new int[cw];
    float[] wxs = new float[cw];
    for (int x = 0; x < cw; x++) {
      float fx = Math.max(0, (x + left + 0.5f) * sx - 0.5f);
      x0s[x] = Math.min((int) fx, sw - 1);
      x1s[x] = Math.min(x0s[x] + 1, sw - 1);
      wxs[x] = fx - x0s[x];
    }
    for (int y = 0; y < ch; y++) {
      float fy = Math.max(0, (y + top + 0.5f) * sy - 0.5f);
      int y0 = Math.min((int) fy, sh - 1);
      int y1 = Math.min(y0 + 1, sh - 1);
      float wy = fy - y0;
      int r0 = y0 * sw;
      int r1 = y1 * sw;
      int o = offset + y * cw;
      for (int x = 0; x < cw; x++) {
        float wx = wxs[x];
        float t = src[r0 + x0s[x]] * (1 - wx) + src[r0 + x1s[x]] * wx;
        float b = src[r1 + x0s[x]] * (1 - wx) + src[r1 + x1s[x]] * wx;
        dst[o + x] = t * (1 - wy) + b * wy;
      }
    }
  }

  static void bilinear(float[] src, int sh, int sw, float[] dst, int offset, int dh, int dw) {
    float sy = (float) sh / dh;
    float sx = (float) sw / dw;
    for (int y = 0; y < dh; y++) {
      float fy = Math.max(0, (y + 0.5f) * sy - 0.5f);
      int y0 = Math.min((int) fy, sh - 1);
      int y1 = Math.min(y0 + 1, sh - 1);
      float wy = fy - y0;
      for (int x = 0; x < dw; x++) {
        float fx = Math.max(0, (x + 0.5f) * sx - 0.5f);
        int x0 = Math.min((int) fx, sw - 1);
        int x1 = Math.min(x0 + 1, sw - 1);
        float wx = fx - x0;
        float top = src[y0 * sw + x0] * (1 - wx) + src[y0 * sw + x1] * wx;
        float bottom = src[y1 * sw + x0] * (1 - wx) + src[y1 * sw + x1] * wx;
        dst[offset + y * dw + x] = top * (1 - wy) + bottom * wy;
      }
    }
  }

  /** PIL's fixed-point precision for 8-bit images (Resample.c: 32 − 8 − 2 bits). */
  private static final int PRECISION_BITS = 22;

  /**
   * The {@code ch × cw} window at ({@code top}, {@code left}) of the {@code dh × dw} PIL-bilinear resize of a plane of
   * values in [0, 1] that are 8-bit levels (k/255): horizontal pass, rounded to 8 bits, then vertical pass, rounded
   * again, as PIL's {@code ImagingResample} does (its coefficients and fixed-point rounding, so the levels are PIL's
   * own), only for the pixels the window needs.
   */
  static void pilCrop(float[] src, int sh, int sw, int dh, int dw, int top, int left, float[] dst, int offset, int ch,
                      int cw) {
    Coefficients cx = Coefficients.of(sw, dw, left, cw);
    Coefficients cy = Coefficients.of(sh, dh, top, ch);
    int y0 = cy.start[0];
    int y1 = cy.start[ch - 1] + cy.weights[ch - 1].length;
    int[] tmp = new int[(y1 - y0) * cw];
    for (int y = y0; y < y1; y++) {
      int row = y * sw;
      for (int x = 0; x < cw; x++) {
        int[] k = cx.weights[x];
        long acc = 1L << (PRECISION_BITS - 1);
        for (int i = 0, j = row + cx.start[x]; i < k.length; i++, j++) {
          acc += (long) level(src[j]) * k[i];
        }
        tmp[(y - y0) * cw + x] = clip8(acc);
      }
    }
    for (int y = 0; y < ch; y++) {
      int[] k = cy.weights[y];
      int first = cy.start[y] - y0;
      int o = offset + y * cw;
      for (int x = 0; x < cw; x++) {
        long acc = 1L << (PRECISION_BITS - 1);
        for (int i = 0; i < k.length; i++) {
          acc += (long) tmp[(first + i) * cw + x] * k[i];
        }
        dst[o + x] = clip8(acc) / 255f;
      }
    }
  }

  private static int level(float v) {
    return Math.round(v * 255f);
  }

  private static int clip8(long acc) {
    long v = acc >> PRECISION_BITS;
    return v < 0 ? 0 : v > 255 ? 255 : (int) v;
  }

  /** PIL's per-output-pixel source range and fixed-point weights along one axis (Resample.c, precompute_coeffs). */
  private record Coefficients(int[] start, int[][] weights) {
    static Coefficients of(int in, int out, int from, int count) {
      double scale = (double) in / out;
      double filterScale = Math.max(scale, 1.0);
      double support = filterScale;  // the bilinear (triangle) filter's support is 1
      int[] start = new int[count];
      int[][] weights = new int[count][];
      for (int o = 0; o < count; o++) {
        double center = (from + o + 0.5) * scale;
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), in) - xmin;
        double[] w = new double[xmax];
        double sum = 0;
        for (int x = 0; x < xmax; x++) {
          double t = Math.abs((x + xmin - center + 0.5) / filterScale);
          w[x] = t < 1 ? 1 - t : 0;
          sum += w[x];
        }
        int[] k = new int[xmax];
        for (int x = 0; x < xmax; x++) {
          double v = sum == 0 ? 0 : w[x] / sum;
          k[x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
        }
        start[o] = xmin;
        weights[o] = k;
      }
      return new Coefficients(start, weights);
    }
  }
}
