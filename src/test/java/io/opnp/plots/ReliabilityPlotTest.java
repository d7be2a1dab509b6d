package io.opnp.plots;

import static io.opnp.plots.PngAssertions.assertChart;
import static io.opnp.plots.PngAssertions.assertMessage;

import io.opnp.calibration.Calibration;
import io.opnp.calibration.ReliabilityDiagram;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReliabilityPlotTest {
  static {
    PngAssertions.headless();
  }

  @TempDir
  Path dir;

  /** Confidences skewed high; each sample is right with probability {@code slope · confidence}. */
  private static ReliabilityDiagram diagram(long seed, double slope) {
    Random rnd = new Random(seed);
    int n = 4000;
    double[] conf = new double[n];
    boolean[] correct = new boolean[n];
    for (int i = 0; i < n; i++) {
      conf[i] = 1 - Math.pow(rnd.nextDouble(), 2.5) * 0.9;
      correct[i] = rnd.nextDouble() < slope * conf[i];
    }
    return Calibration.reliability(conf, correct);
  }

  @Test
  void beforeAndAfterPruning() throws Exception {
    Path png = dir.resolve("reliability.png");
    ReliabilityPlot.write(png, diagram(1, 0.85), diagram(2, 0.97));
    assertChart(png, 900, 600, 10000);
  }

  @Test
  void oneDiagramAndCustomSize() throws Exception {
    Path png = dir.resolve("reliability-one.png");
    ReliabilityPlot.write(png, "energy", diagram(3, 0.9));
    assertChart(png, 900, 600, 5000);
    Path small = dir.resolve("sub").resolve("reliability-small.png");  // missing parent is created
    ReliabilityPlot.write(small, diagram(1, 0.85), diagram(2, 0.97), new PlotSize(500, 400));
    assertChart(small, 500, 400, 2000);
  }

  @Test
  void badInputIsRejectedWithTheOffendingValue() {
    Path png = dir.resolve("never.png");
    ReliabilityDiagram fifteen = diagram(1, 0.9);
    ReliabilityDiagram ten = Calibration.reliability(new double[] {0.5}, new boolean[] {true}, 10);
    assertMessage("no reliability diagram given for after pruning", () -> ReliabilityPlot.write(png, fifteen, null));
    Map<String, ReliabilityDiagram> mixed = new LinkedHashMap<>();
    mixed.put("a", fifteen);
    mixed.put("b", ten);
    assertMessage("\"b\" has 10 bins but \"a\" has 15; they must match",
        () -> ReliabilityPlot.write(png, mixed, PlotSize.DEFAULT));
    assertMessage("no reliability diagrams given", () -> ReliabilityPlot.write(png, Map.of(), PlotSize.DEFAULT));
    assertMessage("diagram name must not be blank, got \"\"", () -> ReliabilityPlot.write(png, "", fifteen));
  }
}
