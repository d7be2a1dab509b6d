package io.opnp.plots;

import io.opnp.math.Check;

/** The pixel size of a PNG chart; {@link #DEFAULT} is 900×600. */
public record PlotSize(int width, int height) {
  public static final PlotSize DEFAULT = new PlotSize(900, 600);
  /** Larger images are refused: a typo should not allocate gigabytes. */
  public static final int MAX_SIDE = 10_000;

  public PlotSize {
    Check.positive(width, "width");
    Check.positive(height, "height");
    Check.argument(width <= MAX_SIDE, "width must be at most %s pixels, got %s", MAX_SIDE, width);
    Check.argument(height <= MAX_SIDE, "height must be at most %s pixels, got %s", MAX_SIDE, height);
  }
}
