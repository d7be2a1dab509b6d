package io.opnp.plots;

import io.opnp.math.Check;
import java.awt.Color;
import java.awt.Font;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.statistics.HistogramType;

/**
 * Distributions of the averaged sensitivities, as OPNP's Fig. 1: a histogram of the weight
 * sensitivities Mw (all C·D values, flattened) or of the neuron sensitivities Mo (D values), with a
 * vertical marker at each pruning threshold. With {@code log10} the x axis shows log10 of the
 * values; zero values (and thresholds ≤ 0), which have no logarithm, are left out and counted in
 * the subtitle.
 */
public final class SensitivityPlot {
  static {
    Charts.headless();
  }

  /** Which sensitivities: sets the title, the axis label and the default number of bins. */
  public enum Kind {
    WEIGHTS("Weight sensitivity distribution", "weight sensitivity Mw", "number of weights", 100),
    NEURONS("Neuron sensitivity distribution", "neuron sensitivity Mo", "number of neurons", 50);

    final String title;
    final String axis;
    final String count;
    final int defaultBins;

    Kind(String title, String axis, String count, int defaultBins) {
      this.title = title;
      this.axis = axis;
      this.count = count;
      this.defaultBins = defaultBins;
    }

    public int defaultBins() {
      return defaultBins;
    }
  }

  private SensitivityPlot() {}

  /** Weight sensitivities Mw (flattened) with markers at {@code thresholds}, at {@link PlotSize#DEFAULT}. */
  public static void writeWeights(Path png, double[] weightSensitivities, boolean log10, double... thresholds) {
    write(png, Kind.WEIGHTS, weightSensitivities, thresholds, log10, Kind.WEIGHTS.defaultBins, PlotSize.DEFAULT);
  }

  /** Neuron sensitivities Mo with markers at {@code thresholds}, at {@link PlotSize#DEFAULT}. */
  public static void writeNeurons(Path png, double[] neuronSensitivities, boolean log10, double... thresholds) {
    write(png, Kind.NEURONS, neuronSensitivities, thresholds, log10, Kind.NEURONS.defaultBins, PlotSize.DEFAULT);
  }

  public static void write(Path png, Kind kind, double[] sensitivities, double[] thresholds, boolean log10, int bins,
      PlotSize size) {
    Check.argument(kind != null, "no kind of sensitivity given");
    Check.argument(sensitivities != null && sensitivities.length > 0, "no sensitivities given: the array is empty");
    Check.argument(thresholds != null, "no thresholds array given (pass an empty one for none)");
    Check.positive(bins, "bins");
    for (int i = 0; i < sensitivities.length; i++) {
      double v = sensitivities[i];
      Check.argument(Double.isFinite(v) && v >= 0, "sensitivity %s at position %s is not a finite number ≥ 0", v, i);
    }
    for (int i = 0; i < thresholds.length; i++) {
      Check.argument(Double.isFinite(thresholds[i]), "threshold %s at position %s is not finite", thresholds[i], i);
    }

    double[] shown = sensitivities;
    int zeros = 0;
    if (log10) {
      shown = new double[sensitivities.length];
      int m = 0;
      for (double v : sensitivities) {
        if (v > 0) {
          shown[m++] = Math.log10(v);
        }
      }
      zeros = sensitivities.length - m;
      Check.argument(m > 0, "all %s sensitivities are 0: nothing to show on a log10 axis", sensitivities.length);
      shown = java.util.Arrays.copyOf(shown, m);
    }
    List<double[]> markers = new ArrayList<>();  // {position on the axis, original value}
    int hiddenThresholds = 0;
    for (double t : thresholds) {
      if (!log10) {
        markers.add(new double[] {t, t});
      } else if (t > 0) {
        markers.add(new double[] {Math.log10(t), t});
      } else {
        hiddenThresholds++;
      }
    }

    double lo = Charts.min(shown);
    double hi = Charts.max(shown);
    if (hi - lo <= 0) {
      double half = lo == 0 ? 0.5 : Math.abs(lo) * 0.05;
      lo -= half;
      hi += half;
    }
    HistogramDataset data = new HistogramDataset();
    data.setType(HistogramType.FREQUENCY);
    data.addSeries(String.format(Locale.ROOT, "%s (n=%,d)", kind.axis, shown.length), shown, bins, lo, hi);

    String xLabel = log10 ? "log10 of " + kind.axis : kind.axis;
    JFreeChart chart = ChartFactory.createHistogram(kind.title, xLabel, kind.count, data, PlotOrientation.VERTICAL,
        true, false, false);
    XYPlot plot = chart.getXYPlot();
    XYBarRenderer renderer = (XYBarRenderer) plot.getRenderer();
    renderer.setBarPainter(new StandardXYBarPainter());
    renderer.setShadowVisible(false);
    renderer.setDrawBarOutline(false);
    renderer.setSeriesPaint(0, Charts.seriesPaint(0, 200));

    double axisLo = lo;
    double axisHi = hi;
    for (int k = 0; k < markers.size(); k++) {
      double[] m = markers.get(k);
      axisLo = Math.min(axisLo, m[0]);
      axisHi = Math.max(axisHi, m[0]);
      ValueMarker marker = new ValueMarker(m[0], new Color(0xC0392B), Charts.LINE);
      marker.setLabel(String.format(Locale.ROOT, "threshold %.3g", m[1]));
      marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      marker.setLabelPaint(new Color(0xC0392B));
      marker.setLabelBackgroundColor(new Color(255, 255, 255, 210));
      marker.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
      marker.setLabelTextAnchor(TextAnchor.TOP_LEFT);
      marker.setLabelOffset(new RectangleInsets(6 + 16 * (k % 4), 4, 2, 2));
      plot.addDomainMarker(marker);
    }
    double margin = 0.03 * (axisHi - axisLo);
    plot.getDomainAxis().setRange(axisLo - margin, axisHi + margin);

    StringBuilder sub = new StringBuilder(String.format(Locale.ROOT, "%,d values", sensitivities.length));
    if (zeros > 0) {
      sub.append(String.format(Locale.ROOT, ", %,d zeros not shown on the log10 axis", zeros));
    }
    sub.append(markers.isEmpty() ? "" : "; red lines: pruning thresholds");
    if (hiddenThresholds > 0) {
      sub.append(String.format(Locale.ROOT, " (%d threshold(s) ≤ 0 not shown)", hiddenThresholds));
    }
    Charts.style(chart, sub.toString());
    Charts.writePng(chart, png, size);
  }
}
