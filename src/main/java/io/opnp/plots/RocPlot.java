package io.opnp.plots;

import io.opnp.math.Check;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Several ROC curves, one per (method, OOD set), on one chart with their AUROC in the legend. */
public final class RocPlot {
  static {
    Charts.headless();
  }

  /** One curve: the scoring method, the OOD set it was measured against, and its ROC curve. */
  public record Series(String method, String oodSet, RocCurve roc) {
    public Series {
      Charts.name(method, "method");
      Charts.name(oodSet, "OOD set");
      Check.argument(roc != null, "no ROC curve given for %s / %s", method, oodSet);
    }

    /** Scores the curve straight from ID and OOD scores, see {@link RocCurve#of}. */
    public static Series of(String method, String oodSet, double[] idScores, double[] oodScores) {
      return new Series(method, oodSet, RocCurve.of(idScores, oodScores));
    }

    String label() {
      return String.format(Locale.ROOT, "%s · %s (AUROC %.2f %%)", method, oodSet, 100 * roc.auroc());
    }
  }

  private RocPlot() {}

  public static void write(Path png, List<Series> curves) {
    write(png, curves, PlotSize.DEFAULT);
  }

  public static void write(Path png, List<Series> curves, PlotSize size) {
    Check.argument(curves != null && !curves.isEmpty(), "no ROC curves given");
    XYSeriesCollection data = new XYSeriesCollection();
    Set<String> seen = new HashSet<>();
    for (int c = 0; c < curves.size(); c++) {
      Series s = curves.get(c);
      Check.argument(s != null, "ROC curve %s is null", c);
      Check.argument(seen.add(s.method() + "\u0000" + s.oodSet()),
          "the curve of method \"%s\" on OOD set \"%s\" is given twice", s.method(), s.oodSet());
      XYSeries xy = new XYSeries(s.label(), false, true);
      for (int k = 0; k < s.roc().size(); k++) {
        xy.add(s.roc().fpr(k), s.roc().tpr(k), false);
      }
      data.addSeries(xy);
    }
    XYSeries chance = new XYSeries("chance (AUROC 50 %)", false, true);
    chance.add(0, 0);
    chance.add(1, 1);
    data.addSeries(chance);

    JFreeChart chart = ChartFactory.createXYLineChart("ROC curves", "false positive rate (OOD accepted as ID)",
        "true positive rate (ID kept)", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    for (int c = 0; c < curves.size(); c++) {
      renderer.setSeriesPaint(c, Charts.color(c));
      renderer.setSeriesStroke(c, Charts.LINE);
    }
    renderer.setSeriesPaint(curves.size(), Charts.REFERENCE);
    renderer.setSeriesStroke(curves.size(), Charts.DASHED);
    plot.setRenderer(renderer);
    plot.getDomainAxis().setRange(0, 1);
    plot.getRangeAxis().setRange(0, 1.01);
    Charts.style(chart, "ID is the positive class; higher score = more in-distribution");
    Charts.writePng(chart, png, size);
  }
}
