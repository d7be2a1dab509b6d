package io.opnp.plots;

import static io.opnp.plots.PngAssertions.assertChart;
import static io.opnp.plots.PngAssertions.assertMessage;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepPlotTest {
  static {
    PngAssertions.headless();
  }

  @TempDir
  Path dir;

  @Test
  void aurocAndFpr95OverTheNeuronPercentage() throws Exception {
    double[] rho = {0, 5, 10, 20, 30, 40, 50};
    Map<String, double[]> metrics = new LinkedHashMap<>();
    metrics.put("AUROC", new double[] {95.2, 95.8, 96.1, 96.4, 95.9, 93.0, 88.1});
    metrics.put("FPR95", new double[] {22.0, 19.5, 18.2, 17.9, 20.3, 31.0, 45.6});
    Path png = dir.resolve("sweep-rho-o-max.png");
    SweepPlot.write(png, "ρo_max", rho, metrics);
    assertChart(png, 900, 600, 2000);
  }

  @Test
  void customAxisAndSize() throws Exception {
    Path png = dir.resolve("sweep-small.png");
    SweepPlot.write(png, "ρw_max", new double[] {0.1, 0.5, 1}, Map.of("accuracy", new double[] {93.1, 92.8, 91.0}),
        "ID accuracy (%)", new PlotSize(700, 500));
    assertChart(png, 700, 500, 500);
  }

  @Test
  void badInputIsRejectedWithTheOffendingValue() {
    Path png = dir.resolve("never.png");
    double[] rho = {0, 10};
    assertMessage("metric \"AUROC\" must have 2 values (one per percentage), got 3",
        () -> SweepPlot.write(png, "ρo_max", rho, Map.of("AUROC", new double[] {1, 2, 3})));
    assertMessage("percentage value NaN at position 1 is not finite",
        () -> SweepPlot.write(png, "ρo_max", new double[] {0, Double.NaN}, Map.of("AUROC", rho)));
    assertMessage("no percentage given: the array is empty",
        () -> SweepPlot.write(png, "ρo_max", new double[0], Map.of("AUROC", new double[0])));
    assertMessage("metric \"FPR95\" value NaN at position 0 is not finite",
        () -> SweepPlot.write(png, "ρo_max", rho, Map.of("FPR95", new double[] {Double.NaN, 1})));
    assertMessage("no metrics given", () -> SweepPlot.write(png, "ρo_max", rho, Map.of()));
  }
}
