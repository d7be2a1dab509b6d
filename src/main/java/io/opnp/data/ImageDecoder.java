package io.opnp.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * Decodes PNG/JPEG/BMP/GIF (Java ImageIO) and WebP/TIFF/PNM bytes (TwelveMonkeys plugins) into float CHW pixels in [0,1] per
 * {@link Preprocess}. Greyscale images are read from their raster: {@code getRGB} would apply a
 * gamma conversion to linear-grey images and change their values. Truncated, damaged and oversize
 * images are refused by {@link StrictImageReader}.
 */
public final class ImageDecoder {
  private final Preprocess pre;

  public ImageDecoder(Preprocess pre) {
    this.pre = pre;
  }

  /** Thrown for bytes that are no readable image; the caller adds which record it was. */
  public static final class UnreadableImageException extends Exception {
    private static final long serialVersionUID = 1L;

    UnreadableImageException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Decodes {@code bytes} into {@code out[offset .. offset + pre.pixels())}. */
  public void decode(byte[] bytes, float[] out, int offset) throws UnreadableImageException {
    BufferedImage img = StrictImageReader.read(bytes, pre.maxImagePixels());
    int w = img.getWidth();
    int h = img.getHeight();
    float[][] planes = toPlanes(img, pre.channels());
    for (int c = 0; c < pre.channels(); c++) {
      int base = offset + c * pre.height() * pre.width();
      if (pre.resizeShorter() > 0) {
        // Even an image already of the input size: torchvision resizes it (224 -> 256) before the crop.
        // Shorter side to resizeShorter, then the central crop, both as torchvision computes them (its crop offset is
        // Python's round, half to even); only the crop's pixels are computed.
        int rw = w <= h ? pre.resizeShorter() : (int) ((long) pre.resizeShorter() * w / h);
        int rh = w <= h ? (int) ((long) pre.resizeShorter() * h / w) : pre.resizeShorter();
        int top = (int) Math.rint((rh - pre.height()) / 2.0);
        int left = (int) Math.rint((rw - pre.width()) / 2.0);
        if (pre.resampling() == Preprocess.Resampling.PIL) {
          Resize.pilCrop(planes[c], h, w, rh, rw, top, left, out, base, pre.height(), pre.width());
        } else {
          Resize.bilinearCrop(planes[c], h, w, rh, rw, top, left, out, base, pre.height(), pre.width());
        }
      } else if (w == pre.width() && h == pre.height()) {
        System.arraycopy(planes[c], 0, out, base, w * h);
      } else if (pre.resampling() == Preprocess.Resampling.PIL) {
        Resize.pilCrop(planes[c], h, w, pre.height(), pre.width(), 0, 0, out, base, pre.height(), pre.width());
      } else {
        Resize.bilinear(planes[c], h, w, out, base, pre.height(), pre.width());
      }
      if (pre.mean() != null) {
        float m = pre.mean()[c];
        float s = pre.std()[c];
        for (int i = base, end = base + pre.height() * pre.width(); i < end; i++) {
          out[i] = (out[i] - m) / s;
        }
      }
    }
  }

  // Per decode thread, grown to the largest image seen: no per-image plane garbage.
  private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

  private static float[][] scratch(int channels, int size) {
    float[][] s = SCRATCH.get();
    for (int c = 0; c < channels; c++) {
      if (s[c].length < size) {
        s[c] = new float[size];
      }
    }
    return s;
  }

  private static float[][] toPlanes(BufferedImage img, int channels) {
    int w = img.getWidth();
    int h = img.getHeight();
    Raster raster = img.getRaster();
    int bands = raster.getNumBands();
    float[][] planes = scratch(channels, w * h);
    if (img.getType() == BufferedImage.TYPE_3BYTE_BGR && img.getColorModel().getColorSpace().isCS_sRGB()
        && raster.getDataBuffer() instanceof java.awt.image.DataBufferByte buf && buf.getNumBanks() == 1
        && raster.getSampleModel() instanceof java.awt.image.PixelInterleavedSampleModel sm
        && sm.getPixelStride() == 3 && sm.getScanlineStride() == 3 * w && raster.getSampleModelTranslateX() == 0
        && raster.getSampleModelTranslateY() == 0) {
      // What ImageIO returns for colour JPEGs: read the BGR bytes directly (getRGB gives the same
      // values through a per-pixel colour-model call, at twice the cost of the decode itself).
      byte[] bgr = buf.getData();
      for (int i = 0, j = 0, n = w * h; i < n; i++, j += 3) {
        float r = (bgr[j + 2] & 0xff) / 255f;
        float g = (bgr[j + 1] & 0xff) / 255f;
        float b = (bgr[j] & 0xff) / 255f;
        if (channels == 1) {
          planes[0][i] = 0.299f * r + 0.587f * g + 0.114f * b;
        } else {
          planes[0][i] = r;
          planes[1][i] = g;
          planes[2][i] = b;
        }
      }
      return planes;
    }
    boolean grey = bands <= 2 && img.getColorModel().getColorSpace().getNumComponents() == 1;
    if (grey) {
      float max = (float) ((1 << img.getColorModel().getComponentSize(0)) - 1);
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          float v = row[x] / max;
          for (int c = 0; c < channels; c++) {
            planes[c][y * w + x] = v;
          }
        }
      }
      return planes;
    }
    int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < rgb.length; i++) {
      float r = ((rgb[i] >> 16) & 0xff) / 255f;
      float g = ((rgb[i] >> 8) & 0xff) / 255f;
      float b = (rgb[i] & 0xff) / 255f;
      if (channels == 1) {
        planes[0][i] = 0.299f * r + 0.587f * g + 0.114f * b;  // ITU-R BT.601 luma, as PIL's convert("L")
      } else {
        planes[0][i] = r;
        planes[1][i] = g;
        planes[2][i] = b;
      }
    }
    return planes;
  }
}
