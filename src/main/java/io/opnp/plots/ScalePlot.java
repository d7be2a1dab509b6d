package io.opnp.plots;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Map;
import org.jfree.chart.JFreeChart;

/**
 * How a job scales: wall time per stage against the data size N (left) and the driver's heap
 * against N (right), side by side in one PNG, so a line that bends upwards (super-linear time,
 * memory that grows with the data) is seen at a glance.
 */
public final class ScalePlot {
  static {
    Charts.headless();
  }

  private ScalePlot() {}

  /**
   * @param ns the data sizes, ascending
   * @param seconds series name → seconds at each N (e.g. the total and the largest stages)
   * @param heapMb series name → megabytes at each N
   */
  public static void write(Path png, String title, double[] ns, Map<String, double[]> seconds,
                           Map<String, double[]> heapMb) {
    JFreeChart time = SweepPlot.lines(title + ": wall time", "training rows N", "N", ns, seconds, "seconds",
        ns.length + " sizes");
    JFreeChart heap = SweepPlot.lines(title + ": driver heap", "training rows N", "N", ns, heapMb, "MB",
        "peak after garbage collection");
    PlotSize half = PlotSize.DEFAULT;
    BufferedImage both = new BufferedImage(2 * half.width(), half.height(), BufferedImage.TYPE_INT_RGB);
    var g = both.createGraphics();
    try {
      time.draw(g, new java.awt.geom.Rectangle2D.Double(0, 0, half.width(), half.height()));
      heap.draw(g, new java.awt.geom.Rectangle2D.Double(half.width(), 0, half.width(), half.height()));
    } finally {
      g.dispose();
    }
    Charts.writePng(both, png);
  }
}
