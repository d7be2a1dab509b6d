package io.opnp.plots;

import java.util.Random;

/** Synthetic score arrays for the chart tests. */
final class Samples {
  private Samples() {}

  static double[] gaussian(long seed, int n, double mean, double sd) {
    Random rnd = new Random(seed);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = mean + sd * rnd.nextGaussian();
    }
    return out;
  }
}
