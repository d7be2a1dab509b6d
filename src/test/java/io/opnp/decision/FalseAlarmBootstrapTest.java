package io.opnp.decision;

import static io.opnp.decision.ThresholdTest.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

class FalseAlarmBootstrapTest {
  @Test
  void intervalCoversTheTrueFalseAlarmRateOfTheProcedure() {
    NormalDistribution normal = new NormalDistribution(null, 0, 1);
    Random random = new Random(42);
    int repetitions = 300;
    int covered = 0;
    long start = System.nanoTime();
    for (int r = 0; r < repetitions; r++) {
      double[] calibration = new double[500];
      for (int i = 0; i < calibration.length; i++) {
        calibration[i] = random.nextGaussian();
      }
      FalseAlarmEstimate e = FalseAlarmBootstrap.interval(calibration, 0.95, r);
      double trueRate = normal.cumulativeProbability(e.threshold());  // P(fresh ID score < τ)
      covered += e.interval().contains(trueRate) ? 1 : 0;
    }
    double coverage = (double) covered / repetitions;
    System.out.printf("bootstrap 95 %% interval covered the true false-alarm rate in %d of %d repetitions (%.1f %%), "
        + "%.2f s%n", covered, repetitions, 100 * coverage, (System.nanoTime() - start) / 1e9);
    assertTrue(coverage >= 0.88 && coverage <= 0.99, "coverage " + coverage);
  }

  @Test
  void equalsTheNaiveBootstrapOnTheSameDraws() {
    Random random = new Random(9);
    double[] calibration = new double[137];
    for (int i = 0; i < calibration.length; i++) {
      calibration[i] = Math.round(random.nextGaussian() * 4) / 4.0;  // ties
    }
    double keep = 0.9;
    int resamples = 400;
    double level = 0.8;
    long seed = 123;

    double[] sorted = calibration.clone();
    Arrays.sort(sorted);
    SplittableRandom draws = new SplittableRandom(seed);
    double[] rates = new double[resamples];
    for (int r = 0; r < resamples; r++) {
      double[] resample = new double[sorted.length];
      for (int i = 0; i < resample.length; i++) {
        resample[i] = sorted[draws.nextInt(sorted.length)];
      }
      rates[r] = Threshold.falseAlarmRate(calibration, Threshold.keeping(resample, keep));
    }
    Arrays.sort(rates);

    FalseAlarmEstimate e = FalseAlarmBootstrap.interval(calibration, keep, resamples, level, seed);
    assertEquals(Threshold.keeping(calibration, keep), e.threshold());
    assertEquals(Threshold.falseAlarmRate(calibration, e.threshold()), e.estimate());
    assertEquals(resamples, e.resamples());
    assertEquals(quantile(rates, (1 - level) / 2), e.interval().lower(), 1e-15);
    assertEquals(quantile(rates, (1 + level) / 2), e.interval().upper(), 1e-15);
    assertEquals(level, e.interval().level());
    assertNotEquals(e.interval().lower(), e.interval().upper(), "a real spread, not a degenerate case");
  }

  @Test
  void reproducesFromTheSeedAndUsesTheDefaults() {
    double[] calibration = new Random(1).doubles(300).toArray();
    FalseAlarmEstimate a = FalseAlarmBootstrap.interval(calibration, 0.95, 77);
    assertEquals(a, FalseAlarmBootstrap.interval(calibration, 0.95, FalseAlarmBootstrap.DEFAULT_RESAMPLES,
        FalseAlarmBootstrap.DEFAULT_LEVEL, 77));
    assertEquals(1000, a.resamples());
    assertEquals(0.95, a.interval().level());
    // other seeds, other draws: with few resamples the interpolated quantiles tell them apart
    Set<Interval> intervals = new HashSet<>();
    for (long seed = 0; seed < 5; seed++) {
      intervals.add(FalseAlarmBootstrap.interval(calibration, 0.95, 9, 0.5, seed).interval());
    }
    assertTrue(intervals.size() > 1, "seeds gave " + intervals);
  }

  @Test
  void rejectsBadArguments() {
    double[] calibration = {1, 2, 3};
    assertEquals("resamples must be positive, got 0",
        message(() -> FalseAlarmBootstrap.interval(calibration, 0.95, 0, 0.95, 1)));
    assertEquals("confidence level must be in (0, 1), got 1.0",
        message(() -> FalseAlarmBootstrap.interval(calibration, 0.95, 10, 1.0, 1)));
    assertEquals("keep must be in (0, 1), got 1.5", message(() -> FalseAlarmBootstrap.interval(calibration, 1.5, 1)));
    assertEquals("ID score at index 0 is NaN; scores must be finite",
        message(() -> FalseAlarmBootstrap.interval(new double[] {Double.NaN}, 0.95, 1)));
  }

  /** numpy's default quantile: linear between the order statistics at (B − 1)·p. */
  private static double quantile(double[] sorted, double p) {
    double h = (sorted.length - 1) * p;
    int lo = (int) h;
    return lo + 1 >= sorted.length ? sorted[lo] : sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
  }
}
