package io.opnp.data;

/**
 * Bilinear resampling of one float plane with half-pixel centres (as OpenCV's INTER_LINEAR; no
 * antialiasing filter when shrinking, unlike PIL).
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
}
