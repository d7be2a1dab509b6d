package io.opnp.plots;

import io.opnp.math.Check;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;

/**
 * What the chart classes share: headless AWT, one look, input checks, and the atomic PNG write
 * (render to a hidden temporary file in the target's directory, then move it over the target).
 */
final class Charts {
  static {
    // Before any AWT class asks: render into images, never look for a display.
    System.setProperty("java.awt.headless", "true");
  }

  /** Tableau 10: distinguishable, colour-blind friendlier than JFreeChart's defaults. */
  private static final Color[] PALETTE = {
      new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x76B7B2),
      new Color(0x59A14F), new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7),
      new Color(0x9C755F), new Color(0xBAB0AC)};

  static final Color GRID = new Color(0xDDDDDD);
  static final Color REFERENCE = new Color(0x777777);
  static final BasicStroke DASHED = new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
      new float[] {6f, 4f}, 0f);
  static final BasicStroke LINE = new BasicStroke(2f);

  private Charts() {}

  /** Call first in every public entry point: loads this class, so the headless property is set. */
  static void headless() {
    // the static initializer did the work
  }

  static Color color(int series) {
    return PALETTE[series % PALETTE.length];
  }

  static Color withAlpha(Color c, int alpha) {
    return new Color(c.getRed(), c.getGreen(), c.getBlue(), alpha);
  }

  /** White background, light grid, legend at the bottom, readable fonts. */
  static void style(JFreeChart chart, String subtitle) {
    chart.setBackgroundPaint(Color.WHITE);
    chart.setAntiAlias(true);
    chart.setTextAntiAlias(true);
    chart.setPadding(new org.jfree.chart.ui.RectangleInsets(6, 6, 6, 18));  // room for the last tick label
    if (chart.getTitle() != null) {
      chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    }
    if (subtitle != null && !subtitle.isEmpty()) {
      TextTitle sub = new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 13));
      sub.setPaint(Color.DARK_GRAY);
      chart.addSubtitle(sub);
    }
    LegendTitle legend = chart.getLegend();
    if (legend != null) {
      legend.setPosition(RectangleEdge.BOTTOM);
      legend.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
      legend.setFrame(org.jfree.chart.block.BlockBorder.NONE);
    }
    if (chart.getPlot() instanceof XYPlot plot) {
      plot.setBackgroundPaint(Color.WHITE);
      plot.setDomainGridlinePaint(GRID);
      plot.setRangeGridlinePaint(GRID);
      plot.setOutlinePaint(Color.GRAY);
      plot.setDomainZeroBaselineVisible(false);
      Font label = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
      Font ticks = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
      for (int i = 0; i < plot.getDomainAxisCount(); i++) {
        plot.getDomainAxis(i).setLabelFont(label);
        plot.getDomainAxis(i).setTickLabelFont(ticks);
      }
      for (int i = 0; i < plot.getRangeAxisCount(); i++) {
        plot.getRangeAxis(i).setLabelFont(label);
        plot.getRangeAxis(i).setTickLabelFont(ticks);
      }
    }
  }

  /** Renders {@code chart} to {@code png} atomically: readers see the old file or the whole new one. */
  static void writePng(JFreeChart chart, Path png, PlotSize size) {
    Check.argument(size != null, "no plot size given");
    writePng(chart.createBufferedImage(size.width(), size.height()), png);
  }

  /** Writes {@code image} to {@code png} atomically (a hidden temporary file renamed over the target). */
  static void writePng(java.awt.image.BufferedImage image, Path png) {
    Check.argument(png != null, "no output path given for the PNG");
    Path target = png.toAbsolutePath();
    Path dir = target.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
      if (!javax.imageio.ImageIO.write(image, "png", tmp.toFile())) {
        throw new IOException("no PNG writer available");
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write plot " + target + ": " + e, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort: the temporary file is hidden and uniquely named
        }
      }
    }
  }

  // --- input checks shared by the charts ---

  static void nonEmptyFinite(double[] values, String what) {
    Check.argument(values != null && values.length > 0, "no %s given: the array is empty", what);
    for (int i = 0; i < values.length; i++) {
      Check.argument(Double.isFinite(values[i]), "%s value %s at position %s is not finite", what, values[i], i);
    }
  }

  static void name(String name, String what) {
    Check.argument(name != null && !name.isBlank(), "%s name must not be blank, got %s",
        what, name == null ? "null" : "\"" + name + "\"");
  }

  static <V> void nonEmpty(Map<String, V> map, String what) {
    Check.argument(map != null && !map.isEmpty(), "no %s given", what);
  }

  static double min(double[] values) {
    double m = Double.POSITIVE_INFINITY;
    for (double v : values) {
      m = Math.min(m, v);
    }
    return m;
  }

  static double max(double[] values) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      m = Math.max(m, v);
    }
    return m;
  }

  static String percent(double fraction) {
    return String.format(java.util.Locale.ROOT, "%.2f %%", 100 * fraction);
  }

  static Paint seriesPaint(int series, int alpha) {
    return withAlpha(color(series), alpha);
  }
}
