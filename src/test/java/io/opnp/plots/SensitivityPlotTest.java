package io.opnp.plots;

import static io.opnp.plots.PngAssertions.assertChart;
import static io.opnp.plots.PngAssertions.assertMessage;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SensitivityPlotTest {
  static {
    PngAssertions.headless();
  }

  @TempDir
  Path dir;

  /** Log-normal values with some exact zeros, like Mw of a ReLU network with dead units. */
  private static double[] sensitivities(long seed, int n, int zeros) {
    Random rnd = new Random(seed);
    double[] out = new double[n];
    for (int i = zeros; i < n; i++) {
      out[i] = Math.exp(-6 + 1.5 * rnd.nextGaussian());
    }
    return out;
  }

  @Test
  void weightsOnALog10AxisWithThresholds() throws Exception {
    Path png = dir.resolve("weights.png");
    SensitivityPlot.writeWeights(png, sensitivities(1, 2560, 40), true, 2e-5, 0.03, 0.0);
    assertChart(png, 900, 600, 5000);
  }

  @Test
  void neuronsOnALinearAxis() throws Exception {
    Path png = dir.resolve("neurons.png");
    double[] mo = sensitivities(2, 256, 0);
    SensitivityPlot.writeNeurons(png, mo, false, 0.004);
    assertChart(png, 900, 600, 1000);
    Path small = dir.resolve("neurons-small.png");
    java.nio.file.Files.delete(png);
    SensitivityPlot.write(small, SensitivityPlot.Kind.NEURONS, mo, new double[0], true, 30, new PlotSize(600, 450));
    assertChart(small, 600, 450, 1000);
  }

  @Test
  void badInputIsRejectedWithTheOffendingValue() {
    Path png = dir.resolve("never.png");
    assertMessage("no sensitivities given: the array is empty",
        () -> SensitivityPlot.writeWeights(png, new double[0], true));
    assertMessage("sensitivity -1.0 at position 1 is not a finite number ≥ 0",
        () -> SensitivityPlot.writeWeights(png, new double[] {1, -1}, false));
    assertMessage("sensitivity NaN at position 0 is not a finite number ≥ 0",
        () -> SensitivityPlot.writeNeurons(png, new double[] {Double.NaN}, false));
    assertMessage("threshold Infinity at position 1 is not finite",
        () -> SensitivityPlot.writeNeurons(png, new double[] {1}, false, 0.5, Double.POSITIVE_INFINITY));
    assertMessage("all 2 sensitivities are 0: nothing to show on a log10 axis",
        () -> SensitivityPlot.writeWeights(png, new double[] {0, 0}, true));
  }
}
