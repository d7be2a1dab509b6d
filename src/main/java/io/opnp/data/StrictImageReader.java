package io.opnp.data;

import io.opnp.data.ImageDecoder.UnreadableImageException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads encoded image bytes with ImageIO's reader API instead of {@code ImageIO.read}, which
 * decodes two kinds of damage without failing:
 *
 * <ul>
 *   <li>A truncated or damaged JPEG comes back whole, its missing part filled grey; the decoder
 *       only reports it to warning listeners. Such warnings make the image unreadable here. A JPEG
 *       that lacks only its end marker is refused too: JPEG has no checksum or length, so nothing
 *       shows that its data is complete (a progressive JPEG cut between scans looks whole).
 *   <li>A header announcing a huge image (a 1 MB PNG of 30000 x 30000 pixels) makes the reader
 *       allocate the whole raster, an OutOfMemoryError that kills the executor whatever the
 *       bad-image policy. The size is read from the header and checked before any pixel memory.
 * </ul>
 *
 * The JDK's PNG reader already fails on data that ends inside the image data; a PNG missing only
 * its trailing checksums and IEND chunk is accepted, since every row has then been inflated.
 */
final class StrictImageReader {
  private StrictImageReader() {}

  static BufferedImage read(byte[] bytes, long maxPixels) throws UnreadableImageException {
    if (bytes == null || bytes.length == 0) {
      throw new UnreadableImageException("the image is empty (0 bytes)", null);
    }
    String unread = UnreadFile.reason(bytes);
    if (unread != null) {
      throw new UnreadableImageException("the file could not be read (" + unread + ")", null);
    }
    // In memory: ImageIO.createImageInputStream would cache the stream in a temporary file.
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(JpegIcc.withoutProfile(bytes)))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new UnreadableImageException("the bytes are not in an image format read here (PNG, JPEG, BMP, GIF, WebP, TIFF, "
            + "PBM/PGM/PPM); "
            + "first bytes: " + hex(bytes), null);
      }
      ImageReader reader = readers.next();  // the one ImageIO.read would take
      try {
        reader.setInput(in, true, true);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, message) -> warnings.add(message));
        long width = reader.getWidth(0);
        long height = reader.getHeight(0);
        if (width * height > maxPixels) {
          throw new UnreadableImageException(String.format(Locale.ROOT, "the image header announces %d x %d = %,d "
              + "pixels, more than --max-image-pixels %,d (setMaxImagePixels in the ML API; raise it if the image is genuine)", width, height,
              width * height, maxPixels), null);
        }
        BufferedImage img = reader.read(0);
        String damage = damage(warnings);
        if (damage != null) {
          throw new UnreadableImageException("the image is truncated or its data is corrupt (the "
              + reader.getFormatName().toUpperCase(Locale.ROOT) + " decoder reported: " + damage + ")", null);
        }
        return img;
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      throw new UnreadableImageException("the bytes are a corrupt or truncated image (" + e.getMessage() + ")", e);
    }
  }

  /**
   * The warnings that mean pixel data is missing or was decoded from garbage, joined; null if
   * none. Others (an invalid ICC profile, a JFIF thumbnail, bytes skipped between segments,
   * which ImageNet has and PIL and torchvision decode alike) leave the pixels as encoded.
   */
  static String damage(List<String> warnings) {
    List<String> fatal = new ArrayList<>();
    for (String w : warnings) {
      String m = w.toLowerCase(Locale.ROOT);
      boolean bad = m.contains("missing eoi")          // the JDK: the data ended before the end marker
          || m.contains("premature end")               // libjpeg: data segment or file ended early
          || m.contains("huffman")                     // libjpeg: undecodable entropy-coded data
          || m.contains("instead of rst")              // libjpeg: lost restart markers, data skipped
          || m.contains("invalid sos parameters")      // libjpeg: a scan header is damaged
          || m.contains("progression sequence");       // libjpeg: progressive scans missing or damaged
      if (bad && !fatal.contains(w)) {
        fatal.add(w);
      }
    }
    return fatal.isEmpty() ? null : String.join("; ", fatal);
  }

  private static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(8, bytes.length); i++) {
      sb.append(String.format("%02x", bytes[i] & 0xff));
    }
    return sb.toString();
  }
}
