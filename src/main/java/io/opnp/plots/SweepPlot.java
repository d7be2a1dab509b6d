package io.opnp.plots;

import io.opnp.math.Check;
import java.nio.file.Path;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The effect of one pruning percentage, as OPNP's Fig. 3: each metric (e.g. AUROC and FPR95, in
 * percent) as a line over the swept percentage, one series per metric, points marked.
 */
public final class SweepPlot {
  static {
    Charts.headless();
  }

  private SweepPlot() {}

  /**
   * @param percentage the swept percentage's name, for the title and x axis (e.g. "ρo_max")
   * @param percentages the swept values, in percent; the x of every metric
   * @param metrics metric name → its value at each swept percentage, drawn in the map's iteration
   *     order (use a LinkedHashMap)
   */
  public static void write(Path png, String percentage, double[] percentages, Map<String, double[]> metrics) {
    write(png, percentage, percentages, metrics, "metric (%)", PlotSize.DEFAULT);
  }

  public static void write(Path png, String percentage, double[] percentages, Map<String, double[]> metrics,
      String yLabel, PlotSize size) {
    Charts.name(percentage, "percentage");
    Charts.nonEmptyFinite(percentages, "percentage");
    Charts.nonEmpty(metrics, "metrics");
    Charts.name(yLabel, "y axis");
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, double[]> e : metrics.entrySet()) {
      Charts.name(e.getKey(), "metric");
      double[] values = e.getValue();
      Check.argument(values != null && values.length == percentages.length,
          "metric \"%s\" must have %s values (one per percentage), got %s",
          e.getKey(), percentages.length, values == null ? "null" : values.length);
      XYSeries s = new XYSeries(e.getKey(), true, true);
      for (int i = 0; i < values.length; i++) {
        Check.argument(Double.isFinite(values[i]), "metric \"%s\" value %s at position %s is not finite",
            e.getKey(), values[i], i);
        s.add(percentages[i], values[i], false);
      }
      data.addSeries(s);
    }

    JFreeChart chart = ChartFactory.createXYLineChart("Effect of " + percentage, percentage + " (%)", yLabel, data,
        PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    for (int s = 0; s < data.getSeriesCount(); s++) {
      renderer.setSeriesPaint(s, Charts.color(s));
      renderer.setSeriesStroke(s, Charts.LINE);
    }
    plot.setRenderer(renderer);
    Charts.style(chart, percentages.length + " swept values");
    Charts.writePng(chart, png, size);
  }
}
