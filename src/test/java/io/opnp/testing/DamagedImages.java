package io.opnp.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;

/** Real encoded images, intact, cut short, or hostile, written with the JDK for the tests. */
public final class DamagedImages {
  private DamagedImages() {}

  /** An RGB image of seeded noise: every byte of its JPEG/PNG carries pixel data. */
  public static BufferedImage noise(int width, int height, long seed) {
    Random rnd = new Random(seed);
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        img.setRGB(x, y, rnd.nextInt(1 << 24));
      }
    }
    return img;
  }

  public static byte[] encode(BufferedImage img, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(img, format, out)) {
        throw new IllegalArgumentException("no ImageIO writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The first {@code numerator/denominator} of {@code bytes}, as a download cut off there. */
  public static byte[] cut(byte[] bytes, int numerator, int denominator) {
    return Arrays.copyOf(bytes, (int) ((long) bytes.length * numerator / denominator));
  }

  /**
   * A valid 8-bit greyscale PNG of {@code width x height} black pixels whose rows of zeros deflate
   * about 1000:1, so the file stays small (30000 x 30000: 0.9 MB) while decoding it needs a
   * raster of {@code width * height} bytes.
   */
  public static byte[] bombPng(int width, int height) {
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);  // 8-bit grey, no interlace
    chunk(png, "IHDR", ihdr.array());
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    byte[] rows = new byte[(width + 1) * 64];  // 64 rows of (filter type 0, zeros)
    byte[] buf = new byte[1 << 16];
    for (int y = 0; y < height; y += 64) {
      deflater.setInput(rows, 0, (width + 1) * Math.min(64, height - y));
      while (!deflater.needsInput()) {
        idat.write(buf, 0, deflater.deflate(buf));
      }
    }
    deflater.finish();
    while (!deflater.finished()) {
      idat.write(buf, 0, deflater.deflate(buf));
    }
    deflater.end();
    chunk(png, "IDAT", idat.toByteArray());
    chunk(png, "IEND", new byte[0]);
    return png.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(t);
    out.writeBytes(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
