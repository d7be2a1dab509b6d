package io.opnp.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PruningPlanTest {

  @ParameterizedTest(name = "{1} % of {0} values selects {2}")
  @CsvSource({
      "10, 0, 0", "10, 4.9, 0", "10, 5, 1", "10, 14.9, 1", "10, 15, 2", "10, 25, 3", "10, 24.9, 2",
      "2560, 0.5, 13", "256, 30, 77", "256, 10, 26", "1, 49, 0", "1, 50, 1", "7, 100, 7",
      // exact halves that binary floating point would round down
      "1000, 16.15, 162", "1000, 32.05, 321", "1000, 64.35, 644"})
  void countRoundsHalfUp(int n, double percent, int expected) {
    assertEquals(expected, PruningPercentages.count(n, percent));
  }

  @Test
  void removesTheTopAndBottomByValue() {
    double[] v = {5, 1, 9, 3, 7, 2, 8, 6, 4, 0};
    // bottom 20 % = 2 smallest (indices 9, 1); top 30 % = 3 largest (indices 2, 6, 4)
    boolean[] keep = PruningPlan.keepMask(v, 30, 20);
    assertArrayEquals(new boolean[] {true, false, false, true, false, true, false, true, true, false}, keep);
  }

  @Test
  void tiesAreBrokenByFlatIndex() {
    double[] v = new double[10];  // all equal: ascending order is the index order
    boolean[] keep = PruningPlan.keepMask(v, 20, 30);
    // bottom 3 = indices 0,1,2; top 2 = indices 8,9
    assertArrayEquals(new boolean[] {false, false, false, true, true, true, true, true, false, false}, keep);
    double[] w = {1, 2, 2, 2, 3};  // the top 2 of the tie at 2 is index 3 (later index ranks higher)
    assertArrayEquals(new boolean[] {true, true, true, false, false}, PruningPlan.keepMask(w, 40, 0));
    assertArrayEquals(new boolean[] {false, false, true, true, true}, PruningPlan.keepMask(w, 0, 40));
  }

  @Test
  void zeroPercentagesKeepEverything() {
    Sensitivity s = sensitivity(3, 4);
    PruningPlan plan = PruningPlan.of(s, new PruningPercentages(0, 0, 0, 0));
    assertEquals(0, plan.prunedWeights());
    assertEquals(0, plan.prunedNeurons());
  }

  @Test
  void planCountsFollowThePercentages() {
    Sensitivity s = sensitivity(10, 256);
    PruningPlan plan = PruningPlan.of(s, PruningPercentages.PAPER_RESNET50);
    assertEquals(13, plan.prunedWeights());
    assertEquals(77, plan.prunedNeurons());
    PruningPlan both = PruningPlan.of(s, new PruningPercentages(10, 20, 5, 15));
    assertEquals(256 + 512, both.prunedWeights());
    assertEquals(13 + 38, both.prunedNeurons());
  }

  @Test
  void percentagesJustBelowOneHundredKeepTheRest() {
    Sensitivity s = sensitivity(10, 100);
    PruningPlan plan = PruningPlan.of(s, new PruningPercentages(49.9, 49.9, 99, 0));
    assertEquals(499 + 499, plan.prunedWeights());
    assertEquals(99, plan.prunedNeurons());
  }

  @Test
  void roundingThatWouldRemoveEveryValueIsRejected() {
    Sensitivity s = sensitivity(2, 5);
    IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
        () -> PruningPlan.of(s, new PruningPercentages(49.99, 49.99, 0, 0)));
    assertEquals("rho-w-max 49.99 and rho-w-min 49.99 select 5 + 5 of the 10 weights, leaving none; lower them",
        w.getMessage());
    IllegalArgumentException o = assertThrows(IllegalArgumentException.class,
        () -> PruningPlan.of(s, new PruningPercentages(0, 0, 99.9, 0)));
    assertEquals("rho-o-max 99.9 and rho-o-min 0.0 select 5 + 0 of the 5 neurons, leaving none; lower them",
        o.getMessage());
  }

  @Test
  void rejectsPercentagesOutsideZeroToHundred() {
    assertEquals("rho-w-max is a percentage and must be in [0, 100], got -0.1",
        assertThrows(IllegalArgumentException.class, () -> new PruningPercentages(-0.1, 0, 0, 0)).getMessage());
    assertEquals("rho-o-min is a percentage and must be in [0, 100], got 100.5",
        assertThrows(IllegalArgumentException.class, () -> new PruningPercentages(0, 0, 0, 100.5)).getMessage());
    assertEquals("rho-w-min is a percentage and must be in [0, 100], got NaN",
        assertThrows(IllegalArgumentException.class, () -> new PruningPercentages(0, Double.NaN, 0, 0)).getMessage());
  }

  @Test
  void rejectsPairsThatRemoveEverything() {
    assertEquals("rho-w-max + rho-w-min must be below 100 (it would remove every weight), got 60.0 + 40.0",
        assertThrows(IllegalArgumentException.class, () -> new PruningPercentages(60, 40, 0, 0)).getMessage());
    assertEquals("rho-o-max + rho-o-min must be below 100 (it would remove every neuron), got 100.0 + 0.0",
        assertThrows(IllegalArgumentException.class, () -> new PruningPercentages(0, 0, 100, 0)).getMessage());
  }

  @Test
  void prunedHeadZeroesRemovedWeightsAndNeuronColumnsAndKeepsTheBias() {
    int c = 2;
    int d = 3;
    // Mw ranks weight (1,2) highest; Mo ranks neuron 0 highest.
    double[] mw = {0.1, 0.2, 0.3, 0.4, 0.5, 0.9};
    double[] mo = {0.9, 0.5, 0.1};
    Sensitivity s = new Sensitivity(c, d, 10, 1, mw, mo, "m", null);
    PruningPlan plan = PruningPlan.of(s, new PruningPercentages(16.7, 0, 33.4, 0));  // 1 weight, 1 neuron
    LinearHead head = new LinearHead(c, d, new double[] {1, 2, 3, 4, 5, 6}, new double[] {7, 8});
    LinearHead pruned = head.pruned(plan);
    assertArrayEquals(new double[] {0, 2, 3, 0, 5, 0}, pruned.weight());
    assertArrayEquals(new double[] {7, 8}, pruned.bias());
    double[] out = new double[2];
    pruned.logits(new double[] {1, 1, 1}, 1, out);
    assertArrayEquals(new double[] {12, 13}, out);
  }

  /** The mask as PruningPlan computed it before SensitivityOrder: a boxed stable sort per call. */
  static boolean[] referenceKeepMask(double[] values, double topPercent, double bottomPercent) {
    int n = values.length;
    int top = PruningPercentages.count(n, topPercent);
    int bottom = PruningPercentages.count(n, bottomPercent);
    Integer[] order = java.util.stream.IntStream.range(0, n).boxed().toArray(Integer[]::new);
    java.util.Arrays.sort(order, java.util.Comparator.comparingDouble(i -> values[i]));
    boolean[] keep = new boolean[n];
    java.util.Arrays.fill(keep, true);
    for (int r = 0; r < bottom; r++) {
      keep[order[r]] = false;
    }
    for (int r = n - top; r < n; r++) {
      keep[order[r]] = false;
    }
    return keep;
  }

  /** Few distinct values (both zeros among them), so most values tie with many others. */
  static double[] tiedValues(int n, java.util.Random r) {
    double[] pool = {-0.0, 0.0, 1e-300, -2.5, 3, 3.0000000000000004, Double.MIN_VALUE, -Double.MAX_VALUE, 7};
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextInt(4) == 0 ? r.nextGaussian() : pool[r.nextInt(pool.length)];
    }
    return v;
  }

  private static final double[] EDGE_PERCENTS = {0, 100, 0.01, 0.05, 0.5, 1, 5, 10, 16.15, 30, 33.3, 49.99, 50, 64.35,
      99, 99.99};

  @Test
  void keepMaskEqualsTheBoxedStableSortOnTiedValues() {
    java.util.Random r = new java.util.Random(42);
    for (int n : new int[] {1, 2, 3, 10, 97, 1000, 4096}) {
      double[] v = tiedValues(n, r);
      for (double top : EDGE_PERCENTS) {
        for (double bottom : EDGE_PERCENTS) {
          if (top + bottom <= 100) {
            assertArrayEquals(referenceKeepMask(v, top, bottom), PruningPlan.keepMask(v, top, bottom),
                "n=" + n + " top=" + top + " bottom=" + bottom);
          }
        }
      }
      for (int trial = 0; trial < 50; trial++) {
        double top = r.nextDouble() * 50;
        double bottom = r.nextDouble() * 50;
        assertArrayEquals(referenceKeepMask(v, top, bottom), PruningPlan.keepMask(v, top, bottom),
            "n=" + n + " top=" + top + " bottom=" + bottom);
      }
    }
  }

  @Test
  void plansFromOneRankingEqualPlansRankedPerPlan() {
    java.util.Random r = new java.util.Random(7);
    int c = 13;
    int d = 37;
    Sensitivity s = new Sensitivity(c, d, 5, 1, tiedValues(c * d, r), tiedValues(d, r), "m", null);
    SensitivityOrder order = SensitivityOrder.of(s);
    for (double wMax : EDGE_PERCENTS) {
      for (double oMax : EDGE_PERCENTS) {
        double wMin = r.nextDouble() * (100 - wMax);
        double oMin = r.nextDouble() * (100 - oMax);
        PruningPercentages p;
        PruningPlan plan;
        try {
          p = new PruningPercentages(wMax, wMin, oMax, oMin);
          plan = PruningPlan.of(order, p);
        } catch (IllegalArgumentException e) {
          continue;  // sums or roundings that remove everything
        }
        assertArrayEquals(referenceKeepMask(s.weight(), wMax, wMin), plan.weightMask(), p.toString());
        assertArrayEquals(referenceKeepMask(s.neuron(), oMax, oMin), plan.neuronMask(), p.toString());
        assertArrayEquals(PruningPlan.of(s, p).weightMask(), plan.weightMask(), p.toString());
      }
    }
  }

  @Test
  void rankingRejectsANonFiniteSensitivityNamingIt() {
    assertEquals("sensitivity value NaN at flat index 2 is not finite", assertThrows(IllegalArgumentException.class,
        () -> PruningPlan.keepMask(new double[] {1, 2, Double.NaN}, 0, 0)).getMessage());
  }

  private static Sensitivity sensitivity(int c, int d) {
    java.util.Random r = new java.util.Random(1);
    double[] w = new double[c * d];
    double[] o = new double[d];
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextDouble();
    }
    for (int j = 0; j < d; j++) {
      o[j] = r.nextDouble();
    }
    return new Sensitivity(c, d, 100, 1, w, o, "m", null);
  }
}
