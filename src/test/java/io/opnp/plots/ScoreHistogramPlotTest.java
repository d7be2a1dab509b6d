package io.opnp.plots;

import static io.opnp.plots.PngAssertions.assertChart;
import static io.opnp.plots.PngAssertions.assertMessage;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreHistogramPlotTest {
  static {
    PngAssertions.headless();
  }

  @TempDir
  Path dir;

  @Test
  void idAgainstTwoOodSetsAtTheDefaultSize() throws Exception {
    Map<String, double[]> ood = new LinkedHashMap<>();
    ood.put("mnist", Samples.gaussian(2, 3000, 5, 1.5));
    ood.put("noise", Samples.gaussian(3, 2000, 2, 1));
    Path png = dir.resolve("scores-energy.png");
    ScoreHistogramPlot.write(png, "energy", "fashion-mnist", Samples.gaussian(1, 5000, 9, 1.2), ood);
    assertChart(png, 900, 600, 5000);
  }

  @Test
  void customSizeAndBins() throws Exception {
    Path png = dir.resolve("scores-small.png");
    ScoreHistogramPlot.write(png, "opnp", "cifar10", Samples.gaussian(4, 500, 1, 1),
        Map.of("svhn", Samples.gaussian(5, 500, -1, 1)), 20, new PlotSize(640, 480));
    assertChart(png, 640, 480, 3000);
  }

  @Test
  void allScoresEqualStillDrawsABar() throws Exception {
    Path png = dir.resolve("scores-flat.png");
    ScoreHistogramPlot.write(png, "energy", "id", new double[] {3, 3, 3}, Map.of("ood", new double[] {3}));
    // ID and OOD bars coincide and blend to grey, so look for the bar itself: a solid run across mid-height
    BufferedImage img = assertChart(png, 900, 600, 0);
    int y = img.getHeight() / 2;
    int longest = 0;
    for (int x = 1, run = 0; x < img.getWidth(); x++) {
      int rgb = img.getRGB(x, y);
      boolean solid = rgb == img.getRGB(x - 1, y) && (rgb & 0xFFFFFF) != 0xFFFFFF;
      run = solid ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    assertTrue(longest >= 8, "no bar at mid-height, longest solid run " + longest);
  }

  @Test
  void badInputIsRejectedWithTheOffendingValue() {
    Path png = dir.resolve("never.png");
    double[] ok = {1, 2};
    assertMessage("no ID score given: the array is empty",
        () -> ScoreHistogramPlot.write(png, "energy", "id", new double[0], Map.of("ood", ok)));
    assertMessage("OOD score (mnist) value NaN at position 1 is not finite",
        () -> ScoreHistogramPlot.write(png, "energy", "id", ok, Map.of("mnist", new double[] {0, Double.NaN})));
    assertMessage("no OOD score (mnist) given: the array is empty",
        () -> ScoreHistogramPlot.write(png, "energy", "id", ok, Map.of("mnist", new double[0])));
    assertMessage("no OOD score sets given", () -> ScoreHistogramPlot.write(png, "energy", "id", ok, Map.of()));
    assertMessage("OOD set name \"id\" is also the ID set's name",
        () -> ScoreHistogramPlot.write(png, "energy", "id", ok, Map.of("id", ok)));
    assertMessage("method name must not be blank, got \" \"",
        () -> ScoreHistogramPlot.write(png, " ", "id", ok, Map.of("ood", ok)));
    assertMessage("bins must be positive, got 0",
        () -> ScoreHistogramPlot.write(png, "energy", "id", ok, Map.of("ood", ok), 0, PlotSize.DEFAULT));
  }
}
