package io.opnp.data;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Lossless PNG encoding of 8-bit greyscale images, so raw IDX pixels share the encoded-image schema. */
public final class Png {
  private Png() {}

  public static byte[] encodeGrey(byte[] pixels, int height, int width) {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    WritableRaster raster = img.getRaster();
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        row[x] = pixels[y * width + x] & 0xff;
      }
      raster.setPixels(0, y, width, 1, row);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
