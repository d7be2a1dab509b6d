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
    Charts.writePng(lines("Effect of " + percentage, percentage + " (%)", "percentage", percentages, metrics, yLabel,
        percentages.length + " swept values"), png, size);
  }

  /**
   * Series over shared x values as lines with marked points, one colour per series, in the map's order.
   *
   * @param xName what an x value is, for error messages
   */
  static JFreeChart lines(String title, String xLabel, String xName, double[] xs, Map<String, double[]> series,
                          String yLabel, String subtitle) {
    Charts.name(xLabel, "x axis");
    Charts.nonEmptyFinite(xs, xName);
    Charts.nonEmpty(series, "metrics");
    Charts.name(yLabel, "y axis");
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      Charts.name(e.getKey(), "metric");
      double[] values = e.getValue();
      Check.argument(values != null && values.length == xs.length,
          "metric \"%s\" must have %s values (one per %s), got %s",
          e.getKey(), xs.length, xName, values == null ? "null" : values.length);
      XYSeries s = new XYSeries(e.getKey(), true, true);
      for (int i = 0; i < values.length; i++) {
        Check.argument(Double.isFinite(values[i]), "metric \"%s\" value %s at position %s is not finite",
            e.getKey(), values[i], i);
        s.add(xs[i], values[i], false);
      }
      data.addSeries(s);
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data,
        PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    for (int s = 0; s < data.getSeriesCount(); s++) {
      renderer.setSeriesPaint(s, Charts.color(s));
      renderer.setSeriesStroke(s, Charts.LINE);
    }
    plot.setRenderer(renderer);
    Charts.style(chart, subtitle);
    return chart;
  }
}
