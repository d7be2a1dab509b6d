package io.opnp.plots;

import static io.opnp.plots.PngAssertions.assertChart;
import static io.opnp.plots.PngAssertions.assertMessage;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelectionPlotTest {
  static {
    PngAssertions.headless();
  }

  @TempDir
  Path dir;

  @Test
  void groupedBarsOfEveryLeadingDetectorOnEveryProxy() throws Exception {
    Path png = dir.resolve("selection.png");
    List<String> proxies = List.of("shuffle", "permute", "blur", "rotate", "lfnoise");
    SelectionPlot.write(png, List.of("mahalanobis", "vim", "knn(k=10)", "energy"), proxies, new double[][] {
        {0.99, 1.0, 1.0, 0.9075, 1.0}, {0.963, 1.0, 1.0, 0.9196, 1.0}, {0.954, 0.994, 0.996, 0.887, 0.999},
        {0.824, 0.838, 0.879, 0.830, 0.857}}, "mean AUROC over the proxies chose mahalanobis");
    assertChart(png, 1000, 160 + 4 * (18 + 45), 5000);
  }

  @Test
  void aRowOfTheWrongLengthIsRejectedNamingTheDetector() {
    assertMessage("detector vim needs 2 AUROCs, got 1", () -> SelectionPlot.write(dir.resolve("x.png"),
        List.of("vim"), List.of("a", "b"), new double[][] {{0.5}}, ""));
  }
}
