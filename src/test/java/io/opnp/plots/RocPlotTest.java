package io.opnp.plots;

import static io.opnp.plots.PngAssertions.assertChart;
import static io.opnp.plots.PngAssertions.assertMessage;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocPlotTest {
  static {
    PngAssertions.headless();
  }

  @TempDir
  Path dir;

  @Test
  void severalMethodsAndOodSetsOnOneChart() throws Exception {
    double[] idEnergy = Samples.gaussian(1, 2000, 3, 1);
    double[] idOpnp = Samples.gaussian(2, 2000, 4, 1);
    List<RocPlot.Series> curves = List.of(
        RocPlot.Series.of("energy", "mnist", idEnergy, Samples.gaussian(3, 1500, 1.5, 1)),
        RocPlot.Series.of("energy", "noise", idEnergy, Samples.gaussian(4, 1500, 0, 1)),
        RocPlot.Series.of("opnp", "mnist", idOpnp, Samples.gaussian(5, 1500, 1.5, 1)),
        new RocPlot.Series("opnp", "noise", RocCurve.of(idOpnp, Samples.gaussian(6, 1500, 0, 1))));
    Path png = dir.resolve("roc.png");
    RocPlot.write(png, curves);
    assertChart(png, 900, 600, 2000);
  }

  @Test
  void customSize() throws Exception {
    Path png = dir.resolve("roc-small.png");
    RocPlot.write(png, List.of(RocPlot.Series.of("energy", "svhn", new double[] {3, 2, 1}, new double[] {2.5, 0.5})),
        new PlotSize(400, 300));
    assertChart(png, 400, 300, 300);
  }

  @Test
  void badInputIsRejectedWithTheOffendingValue() {
    Path png = dir.resolve("never.png");
    RocCurve roc = RocCurve.of(new double[] {1}, new double[] {0});
    assertMessage("no ROC curves given", () -> RocPlot.write(png, List.of()));
    assertMessage("the curve of method \"energy\" on OOD set \"mnist\" is given twice",
        () -> RocPlot.write(png, List.of(new RocPlot.Series("energy", "mnist", roc),
            new RocPlot.Series("energy", "mnist", roc))));
    assertMessage("OOD set name must not be blank, got null", () -> new RocPlot.Series("energy", null, roc));
    assertMessage("no ROC curve given for energy / mnist", () -> new RocPlot.Series("energy", "mnist", null));
    assertMessage("ID score NaN at position 0 is not finite",
        () -> RocPlot.Series.of("energy", "mnist", new double[] {Double.NaN}, new double[] {1}));
    assertMessage("width must be at most 10000 pixels, got 20000",
        () -> RocPlot.write(png, List.of(new RocPlot.Series("e", "o", roc)), new PlotSize(20000, 10)));
  }
}
