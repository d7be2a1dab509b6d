package io.opnp.plots;

import io.opnp.calibration.ReliabilityDiagram;
import io.opnp.calibration.ReliabilityDiagram.Bin;
import io.opnp.math.Check;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Reliability diagrams: per confidence bin, a bar of the bin's accuracy, side by side for each
 * diagram (e.g. before and after pruning), with the diagonal of perfect calibration and every
 * diagram's ECE in the title. Empty bins have no bar.
 */
public final class ReliabilityPlot {
  static {
    Charts.headless();
  }

  private ReliabilityPlot() {}

  /** One diagram at {@link PlotSize#DEFAULT}; {@code label} names it in the legend and title. */
  public static void write(Path png, String label, ReliabilityDiagram diagram) {
    Check.argument(diagram != null, "no reliability diagram given");
    Charts.name(label, "diagram");
    write(png, Map.of(label, diagram), PlotSize.DEFAULT);
  }

  /** Before and after pruning on one chart at {@link PlotSize#DEFAULT}. */
  public static void write(Path png, ReliabilityDiagram before, ReliabilityDiagram after) {
    write(png, before, after, PlotSize.DEFAULT);
  }

  public static void write(Path png, ReliabilityDiagram before, ReliabilityDiagram after, PlotSize size) {
    Check.argument(before != null, "no reliability diagram given for before pruning");
    Check.argument(after != null, "no reliability diagram given for after pruning");
    Map<String, ReliabilityDiagram> both = new LinkedHashMap<>();
    both.put("before pruning", before);
    both.put("after pruning", after);
    write(png, both, size);
  }

  /**
   * Any number of diagrams with the same bins, drawn in the map's iteration order (use a
   * LinkedHashMap), keyed by their legend label.
   */
  public static void write(Path png, Map<String, ReliabilityDiagram> diagrams, PlotSize size) {
    Charts.nonEmpty(diagrams, "reliability diagrams");
    int bins = -1;
    String first = null;
    for (Map.Entry<String, ReliabilityDiagram> e : diagrams.entrySet()) {
      Charts.name(e.getKey(), "diagram");
      Check.argument(e.getValue() != null, "no reliability diagram given for \"%s\"", e.getKey());
      if (bins < 0) {
        bins = e.getValue().binCount();
        first = e.getKey();
      }
      Check.argument(e.getValue().binCount() == bins, "\"%s\" has %s bins but \"%s\" has %s; they must match",
          e.getKey(), e.getValue().binCount(), first, bins);
    }

    int n = diagrams.size();
    XYIntervalSeriesCollection bars = new XYIntervalSeriesCollection();
    List<String> eces = new ArrayList<>();
    for (Map.Entry<String, ReliabilityDiagram> e : diagrams.entrySet()) {
      ReliabilityDiagram d = e.getValue();
      XYIntervalSeries s = new XYIntervalSeries(String.format(Locale.ROOT, "%s (ECE %.2f %%, n=%,d)",
          e.getKey(), 100 * d.ece(), d.total()));
      int k = bars.getSeriesCount();
      for (Bin b : d.bins()) {
        if (b.isEmpty()) {
          continue;
        }
        double pad = 0.08 * (b.upper() - b.lower());
        double w = (b.upper() - b.lower() - 2 * pad) / n;
        double x0 = b.lower() + pad + k * w;
        s.add((x0 + x0 + w) / 2, x0, x0 + w, b.accuracy(), 0, b.accuracy());
      }
      bars.addSeries(s);
      eces.add(String.format(Locale.ROOT, "%s %.2f %%", e.getKey(), 100 * d.ece()));
    }

    XYSeriesCollection diagonal = new XYSeriesCollection();
    XYSeries perfect = new XYSeries("perfect calibration", false, true);
    perfect.add(0, 0);
    perfect.add(1, 1);
    diagonal.addSeries(perfect);

    NumberAxis x = new NumberAxis("confidence (max softmax probability)");
    x.setRange(0, 1);
    NumberAxis y = new NumberAxis("accuracy");
    y.setRange(0, 1.02);
    XYBarRenderer barRenderer = new XYBarRenderer();
    barRenderer.setBarPainter(new StandardXYBarPainter());
    barRenderer.setShadowVisible(false);
    barRenderer.setDrawBarOutline(true);
    barRenderer.setUseYInterval(true);
    for (int k = 0; k < n; k++) {
      barRenderer.setSeriesPaint(k, Charts.seriesPaint(k, 190));
      barRenderer.setSeriesOutlinePaint(k, Charts.color(k).darker());
    }
    XYPlot plot = new XYPlot(bars, x, y, barRenderer);
    XYLineAndShapeRenderer lineRenderer = new XYLineAndShapeRenderer(true, false);
    lineRenderer.setSeriesPaint(0, Charts.REFERENCE);
    lineRenderer.setSeriesStroke(0, Charts.DASHED);
    plot.setDataset(1, diagonal);
    plot.setRenderer(1, lineRenderer);

    String title = "Reliability diagram — ECE " + String.join(", ", eces);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    Charts.style(chart, bins + " equal-width confidence bins; bar height = accuracy of the bin's samples");
    Charts.writePng(chart, png, size);
  }
}
