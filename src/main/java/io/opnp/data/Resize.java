package io.opnp.data;

/**
 * Bilinear resampling of one float plane with half-pixel centres (as OpenCV's INTER_LINEAR; no
 * antialiasing filter when shrinking, unlike PIL).
 */
final class Resize {
  private Resize() {}

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
