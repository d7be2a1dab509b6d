package io.opnp.plots;

import static io.opnp.plots.PngAssertions.assertChart;
import static io.opnp.plots.PngAssertions.assertMessage;
import static io.opnp.plots.PngAssertions.assertOnlyFile;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {
  static {
    PngAssertions.headless();
  }

  @TempDir
  Path dir;

  private static List<RocPlot.Series> curve() {
    return List.of(RocPlot.Series.of("energy", "mnist", new double[] {3, 2, 1}, new double[] {2.5, 0.5}));
  }

  @Test
  void anExistingFileIsReplacedWhole() throws Exception {
    Path png = dir.resolve("roc.png");
    Files.writeString(png, "not a png");
    RocPlot.write(png, curve());
    assertChart(png, 900, 600, 300);
  }

  @Test
  void aFailedMoveLeavesNoTemporaryFile() throws Exception {
    Path target = dir.resolve("roc.png");
    Files.createDirectories(target);
    Files.writeString(target.resolve("keep"), "x");  // a non-empty directory cannot be replaced
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> RocPlot.write(target, curve()));
    assertTrue(e.getMessage().startsWith("cannot write plot " + target.toAbsolutePath()), e.getMessage());
    assertOnlyFile(target);
  }

  @Test
  void rendersHeadless() {
    RocPlot.write(dir.resolve("roc.png"), curve());
    assertTrue(java.awt.GraphicsEnvironment.isHeadless());
  }

  @Test
  void plotSizeIsChecked() {
    assertMessage("width must be positive, got 0", () -> new PlotSize(0, 600));
    assertMessage("height must be positive, got -1", () -> new PlotSize(900, -1));
    assertMessage("height must be at most 10000 pixels, got 10001", () -> new PlotSize(900, 10_001));
    assertMessage("no output path given for the PNG", () -> RocPlot.write(null, curve()));
  }
}
