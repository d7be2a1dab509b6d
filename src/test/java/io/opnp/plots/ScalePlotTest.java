package io.opnp.plots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScalePlotTest {
  @TempDir
  Path dir;

  @Test
  void timeAndDriverHeapAgainstNSideBySide() throws Exception {
    Path png = dir.resolve("scale.png");
    Map<String, double[]> time = new LinkedHashMap<>();
    time.put("evaluate total", new double[] {100, 180, 350});
    time.put("training statistics", new double[] {20, 40, 80});
    ScalePlot.write(png, "2048 x 1000 evaluate", new double[] {50_000, 100_000, 200_000}, time,
        Map.of("driver heap", new double[] {900, 910, 905}));
    PngAssertions.assertChart(png, 2 * PlotSize.DEFAULT.width(), PlotSize.DEFAULT.height(), 2000);
    PngAssertions.assertOnlyFile(png);
  }

  @Test
  void aSeriesOfTheWrongLengthIsRefusedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScalePlot.write(
        dir.resolve("never.png"), "t", new double[] {1, 2}, Map.of("total", new double[] {1}), Map.of("heap",
            new double[] {1, 2})));
    assertEquals("metric \"total\" must have 2 values (one per N), got 1", e.getMessage());
  }
}
