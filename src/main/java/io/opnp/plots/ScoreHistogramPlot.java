package io.opnp.plots;

import io.opnp.math.Check;
import java.nio.file.Path;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.statistics.HistogramType;

/**
 * Score distributions of one method, ID against one or more OOD sets, overlaid and
 * semi-transparent as in OPNP's Fig. 5. All sets share one binning over the range of every score
 * shown, and each bar is the fraction of its own set, so sets of different sizes compare.
 */
public final class ScoreHistogramPlot {
  static {
    Charts.headless();
  }

  public static final int DEFAULT_BINS = 60;

  private ScoreHistogramPlot() {}

  /**
   * Writes the histogram with {@link #DEFAULT_BINS} bins at {@link PlotSize#DEFAULT}.
   *
   * @param method the scoring method, for the title (e.g. "energy", "opnp")
   * @param idName the ID set's name (e.g. "fashion-mnist")
   * @param idScores the ID set's scores, higher = more in-distribution
   * @param oodScores OOD set name → scores, drawn in the map's iteration order (use a LinkedHashMap)
   */
  public static void write(Path png, String method, String idName, double[] idScores, Map<String, double[]> oodScores) {
    write(png, method, idName, idScores, oodScores, DEFAULT_BINS, PlotSize.DEFAULT);
  }

  public static void write(Path png, String method, String idName, double[] idScores, Map<String, double[]> oodScores,
      int bins, PlotSize size) {
    Charts.name(method, "method");
    Charts.name(idName, "ID set");
    Charts.nonEmptyFinite(idScores, "ID score");
    Charts.nonEmpty(oodScores, "OOD score sets");
    Check.positive(bins, "bins");
    double lo = Charts.min(idScores);
    double hi = Charts.max(idScores);
    for (Map.Entry<String, double[]> e : oodScores.entrySet()) {
      Charts.name(e.getKey(), "OOD set");
      Check.argument(!e.getKey().equals(idName), "OOD set name \"%s\" is also the ID set's name", e.getKey());
      Charts.nonEmptyFinite(e.getValue(), "OOD score (" + e.getKey() + ")");
      lo = Math.min(lo, Charts.min(e.getValue()));
      hi = Math.max(hi, Charts.max(e.getValue()));
    }
    if (hi - lo <= 0) {  // every score equal: one visible bar in the middle
      lo -= 0.5;
      hi += 0.5;
    }

    HistogramDataset data = new HistogramDataset();
    data.setType(HistogramType.RELATIVE_FREQUENCY);
    data.addSeries(label(idName, "ID", idScores.length), idScores, bins, lo, hi);
    for (Map.Entry<String, double[]> e : oodScores.entrySet()) {
      data.addSeries(label(e.getKey(), "OOD", e.getValue().length), e.getValue(), bins, lo, hi);
    }

    JFreeChart chart = ChartFactory.createHistogram("Score distributions: " + method, method + " score (higher = more ID)",
        "fraction of set", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    XYBarRenderer renderer = (XYBarRenderer) plot.getRenderer();
    renderer.setBarPainter(new StandardXYBarPainter());
    renderer.setShadowVisible(false);
    renderer.setDrawBarOutline(false);
    for (int s = 0; s < data.getSeriesCount(); s++) {
      renderer.setSeriesPaint(s, Charts.seriesPaint(s, 140));
    }
    Charts.style(chart, String.format(java.util.Locale.ROOT, "%d shared bins over [%.4g, %.4g]", bins, lo, hi));
    Charts.writePng(chart, png, size);
  }

  private static String label(String name, String kind, int n) {
    return String.format(java.util.Locale.ROOT, "%s (%s, n=%,d)", name, kind, n);
  }
}
