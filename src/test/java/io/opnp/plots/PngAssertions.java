package io.opnp.plots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.function.Executable;

/** Checks on written charts; loading this class first makes the tests headless. */
final class PngAssertions {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

  private PngAssertions() {}

  static void headless() {
    // the static initializer did the work
  }

  /**
   * {@code png} is a PNG of the given size that is not blank (well more than 1 % of its pixels
   * differ from the corner's background, and at least {@code minColoured} are clearly coloured,
   * i.e. drawn by a series rather than by black/grey axes and text), and it is the only file in
   * its directory (no temporary file left behind).
   */
  static BufferedImage assertChart(Path png, int width, int height, int minColoured) throws IOException {
    assertTrue(Files.isRegularFile(png), png + " was not written");
    byte[] head = new byte[8];
    try (InputStream in = Files.newInputStream(png)) {
      assertEquals(8, in.readNBytes(head, 0, 8));
    }
    assertEquals(java.util.Arrays.toString(PNG_SIGNATURE), java.util.Arrays.toString(head), "PNG signature");
    BufferedImage img = ImageIO.read(png.toFile());
    assertNotNull(img, "ImageIO cannot decode " + png);
    assertEquals(width, img.getWidth());
    assertEquals(height, img.getHeight());
    int background = img.getRGB(0, 0);
    long differing = 0;
    long coloured = 0;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = img.getRGB(x, y);
        if (rgb != background) {
          differing++;
        }
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 40) {
          coloured++;
        }
      }
    }
    assertTrue(differing > (long) width * height / 100, "blank image: only " + differing + " non-background pixels");
    assertTrue(coloured >= minColoured, "only " + coloured + " coloured pixels, expected at least " + minColoured);
    assertOnlyFile(png);
    preview(png);
    return img;
  }

  static void assertOnlyFile(Path file) throws IOException {
    try (Stream<Path> s = Files.list(file.getParent())) {
      List<String> names = s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
      assertEquals(List.of(file.getFileName().toString()), names, "files in " + file.getParent());
    }
  }

  static void assertMessage(String expected, Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }

  /** With OPNP_PLOTS_PREVIEW=/some/dir in the environment, keeps a copy of each chart for a human to look at. */
  private static void preview(Path png) throws IOException {
    String dir = System.getenv("OPNP_PLOTS_PREVIEW");
    if (dir != null && !dir.isBlank()) {
      Path out = Path.of(dir);
      Files.createDirectories(out);
      Files.copy(png, out.resolve(png.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
