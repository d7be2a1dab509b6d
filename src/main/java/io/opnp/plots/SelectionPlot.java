package io.opnp.plots;

import io.opnp.math.Check;
import java.awt.Color;
import java.awt.Font;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * How the detector was chosen, at a glance: for each of the leading configurations, its AUROC on
 * every validation OOD proxy, as horizontal grouped bars; a detector that fails one kind of shift
 * shows as one short bar.
 */
public final class SelectionPlot {
  static {
    Charts.headless();
  }

  private SelectionPlot() {}

  /**
   * @param detectors labels (with their rank), best first; {@code aurocs[i][p]} is detector i's AUROC (0–1) on proxy p
   */
  public static void write(Path png, List<String> detectors, List<String> proxies, double[][] aurocs,
                           String subtitle) {
    Check.argument(!detectors.isEmpty() && detectors.size() == aurocs.length,
        "need one AUROC row per detector, got %s detectors and %s rows", detectors.size(), aurocs.length);
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (int i = 0; i < detectors.size(); i++) {
      Check.argument(aurocs[i].length == proxies.size(), "detector %s needs %s AUROCs, got %s", detectors.get(i),
          proxies.size(), aurocs[i].length);
      for (int p = 0; p < proxies.size(); p++) {
        Check.argument(Double.isFinite(aurocs[i][p]), "AUROC of %s on %s is not finite", detectors.get(i),
            proxies.get(p));
        data.addValue(100 * aurocs[i][p], proxies.get(p), detectors.get(i));
      }
    }
    JFreeChart chart = ChartFactory.createBarChart("Validation AUROC per OOD proxy", null, "AUROC (%)", data,
        PlotOrientation.HORIZONTAL, true, false, false);
    Charts.style(chart, subtitle);
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Charts.GRID);
    plot.getRangeAxis().setRange(Math.max(0, min(aurocs) * 100 - 5), 100);
    plot.getDomainAxis().setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    plot.getDomainAxis().setMaximumCategoryLabelWidthRatio(0.45f);
    BarRenderer r = (BarRenderer) plot.getRenderer();
    r.setBarPainter(new StandardBarPainter());
    r.setShadowVisible(false);
    r.setItemMargin(0.02);
    for (int p = 0; p < proxies.size(); p++) {
      r.setSeriesPaint(p, Charts.color(p));
    }
    int height = Math.min(PlotSize.MAX_SIDE, 160 + detectors.size() * (18 + 9 * proxies.size()));
    Charts.writePng(chart, png, new PlotSize(1000, height));
  }

  private static double min(double[][] a) {
    double m = 1;
    for (double[] row : a) {
      for (double v : row) {
        m = Math.min(m, v);
      }
    }
    return m;
  }
}
