package io.opnp.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opnp.math.LinearHead;
import io.opnp.math.OodMetrics;
import io.opnp.math.PruningPercentages;
import io.opnp.math.Sensitivity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class PlanSweepTest {

  @Test
  void sweepGivesTheSameMetricsAndChoiceAsRankingEveryPlanAfresh() {
    Random r = new Random(3);
    int c = 11;
    int d = 48;
    Sensitivity s = new Sensitivity(c, d, 10, 1.5, tied(c * d, r), tied(d, r), "m", null);
    LinearHead head = new LinearHead(c, d, gaussian(c * d, r), gaussian(c, r));
    double[] valId = gaussian(60 * d, r);
    double[] valOod = gaussian(50 * d, r);
    for (int i = 0; i < valOod.length; i++) {
      valOod[i] = valOod[i] * 0.7 + 0.2;
    }
    // The default grid plus percentages that round alike at this size, and ones that remove everything.
    List<PruningPercentages> grid = new ArrayList<>(PlanSweep.grid(PlanSweep.RHO_W_MAX, PlanSweep.RHO_W_MIN,
        PlanSweep.RHO_O_MAX, PlanSweep.RHO_O_MIN));
    grid.addAll(PlanSweep.grid(new double[] {0.1, 0.15}, new double[] {0, 99.8}, new double[] {1, 1.04},
        new double[] {0, 98.9}));
    List<PlanSweep.Point> fast = PlanSweep.run(s, head, grid, valId, 60, valOod, 50);
    List<PlanSweep.Point> reference = referenceRun(s, head, grid, valId, 60, valOod, 50);
    assertEquals(reference, fast);
    assertEquals(PlanSweep.best(reference), PlanSweep.best(fast));
  }

  @Test
  void coordinateSearchScoresPlansAsTheGridDoesAndEndsAtAPlanNoSinglePercentageImproves() {
    Random r = new Random(5);
    int c = 7;
    int d = 40;
    Sensitivity s = new Sensitivity(c, d, 10, 1, gaussian(c * d, r), gaussian(d, r), "m", null);
    LinearHead head = new LinearHead(c, d, gaussian(c * d, r), gaussian(c, r));
    double[] id = gaussian(80 * d, r);
    List<double[]> oods = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      double[] o = gaussian(70 * d, r);
      for (int i = 0; i < o.length; i++) {
        o[i] = o[i] * (0.5 + 0.2 * p) + 0.1 * p;
      }
      oods.add(o);
    }
    int[] n = {70, 70, 70};
    java.util.function.ToDoubleFunction<double[]> mean = a -> Arrays.stream(a).average().orElseThrow();
    double[][] axes = {PlanSweep.RHO_W_MAX, PlanSweep.RHO_W_MIN, PlanSweep.RHO_O_MAX, PlanSweep.RHO_O_MIN};
    List<PlanSweep.Point> grid = PlanSweep.run(s, head, PlanSweep.grid(axes[0], axes[1], axes[2], axes[3]), id, 80,
        oods, n, mean);
    List<PlanSweep.Point> coord = PlanSweep.coordinate(s, head, axes, id, 80, oods, n, mean);
    java.util.Map<PruningPercentages, PlanSweep.Point> byPlan = new java.util.HashMap<>();
    grid.forEach(p -> byPlan.put(p.plan(), p));
    org.junit.jupiter.api.Assertions.assertTrue(coord.size() < grid.size() / 4, coord.size() + " plans");
    for (PlanSweep.Point p : coord) {  // the same numbers as the grid gives the same plan
      assertEquals(byPlan.get(p.plan()).perProxy(), p.perProxy(), p.plan().toString());
      assertEquals(byPlan.get(p.plan()).criterion(), p.criterion(), 0.0);
    }
    PlanSweep.Point best = PlanSweep.best(coord);
    org.junit.jupiter.api.Assertions.assertTrue(best.criterion() <= PlanSweep.best(grid).criterion());
    // Each line through the final plan was scored and holds nothing better.
    PruningPercentages b = best.plan();
    for (PlanSweep.Point g : grid) {
      PruningPercentages q = g.plan();
      int same = (q.rhoWMax() == b.rhoWMax() ? 1 : 0) + (q.rhoWMin() == b.rhoWMin() ? 1 : 0)
          + (q.rhoOMax() == b.rhoOMax() ? 1 : 0) + (q.rhoOMin() == b.rhoOMin() ? 1 : 0);
      if (same >= 3) {
        org.junit.jupiter.api.Assertions.assertTrue(coord.stream().anyMatch(p -> p.plan().equals(q)), q + " not scored");
        org.junit.jupiter.api.Assertions.assertTrue(g.criterion() <= best.criterion(), q + " beats the final plan");
      }
    }
  }

  /**
   * Run with -Dopnp.timing=true: the coordinate search evaluate uses at the ImageNet head shape,
   * against five proxies; prints its time, the plans it scored and the whole grid's estimate.
   */
  @Test
  void timeCoordinateSweepAtImageNetShape() {
    Assumptions.assumeTrue(Boolean.getBoolean("opnp.timing"), "timing run only on request");
    int c = 1000;
    int d = 2048;
    int n = Integer.getInteger("opnp.timing.rows", 1000);
    Random r = new Random(2);
    Sensitivity s = new Sensitivity(c, d, 10, 1, abs(gaussian(c * d, r)), abs(gaussian(d, r)), "m", null);
    LinearHead head = new LinearHead(c, d, gaussian(c * d, r), gaussian(c, r));
    double[] id = gaussian(n * d, r);
    List<double[]> oods = new ArrayList<>();
    for (int p = 0; p < 5; p++) {
      double[] o = gaussian(n * d, r);
      for (int i = 0; i < o.length; i++) {
        o[i] = o[i] * (0.8 + 0.05 * p);
      }
      oods.add(o);
    }
    int[] ns = {n, n, n, n, n};
    double[][] axes = {PlanSweep.RHO_W_MAX, PlanSweep.RHO_W_MIN, PlanSweep.RHO_O_MAX, PlanSweep.RHO_O_MIN};
    int gridSize = PlanSweep.grid(axes[0], axes[1], axes[2], axes[3]).size();
    long t0 = System.nanoTime();
    List<PlanSweep.Point> pts = PlanSweep.coordinate(s, head, axes, id, n, oods, ns,
        a -> Arrays.stream(a).average().orElseThrow());
    double t = (System.nanoTime() - t0) / 1e9;
    t0 = System.nanoTime();
    List<PlanSweep.Point> all = PlanSweep.run(s, head, PlanSweep.grid(axes[0], axes[1], axes[2], axes[3]), id, n, oods,
        ns, a -> Arrays.stream(a).average().orElseThrow());
    double tGrid = (System.nanoTime() - t0) / 1e9;
    System.out.printf("coordinate sweep at D=%d C=%d, %d ID + 5 x %d proxy rows: %d plans in %.1f s; "
            + "the whole grid of %d (%d scored): %.1f s (estimated %.0f s)%n", d, c, n, n, pts.size(), t, gridSize,
        all.size(), tGrid, PlanSweep.estimatedSeconds(gridSize, head, 6L * n));
  }

  private static double[] abs(double[] a) {
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.abs(a[i]);
    }
    return a;
  }

  /** The sweep before SensitivityOrder: every plan ranked with a boxed stable sort and scored afresh. */
  static List<PlanSweep.Point> referenceRun(Sensitivity s, LinearHead head, List<PruningPercentages> grid,
                                            double[] valId, int nId, double[] valOod, int nOod) {
    List<PlanSweep.Point> points = new ArrayList<>();
    int c = s.classes();
    int d = s.dim();
    for (int g = 0; g < grid.size(); g++) {
      PruningPercentages p = grid.get(g);
      int wTop = PruningPercentages.count(c * d, p.rhoWMax());
      int wBottom = PruningPercentages.count(c * d, p.rhoWMin());
      int oTop = PruningPercentages.count(d, p.rhoOMax());
      int oBottom = PruningPercentages.count(d, p.rhoOMin());
      if (wTop + wBottom >= c * d || oTop + oBottom >= d) {
        continue;
      }
      boolean[] keepW = boxedMask(s.weight(), wTop, wBottom);
      boolean[] keepO = boxedMask(s.neuron(), oTop, oBottom);
      double[] w = head.weight();
      for (int i = 0; i < c; i++) {
        for (int j = 0; j < d; j++) {
          if (!keepW[i * d + j] || !keepO[j]) {
            w[i * d + j] = 0;
          }
        }
      }
      LinearHead pruned = new LinearHead(c, d, w, head.bias());
      points.add(new PlanSweep.Point(p, OodMetrics.of(PlanSweep.energy(pruned, valId, nId, s.temperature()),
          PlanSweep.energy(pruned, valOod, nOod, s.temperature())), g));
    }
    return points;
  }

  private static boolean[] boxedMask(double[] values, int top, int bottom) {
    int n = values.length;
    Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble(i -> values[i]));
    boolean[] keep = new boolean[n];
    Arrays.fill(keep, true);
    for (int k = 0; k < bottom; k++) {
      keep[order[k]] = false;
    }
    for (int k = n - top; k < n; k++) {
      keep[order[k]] = false;
    }
    return keep;
  }

  /**
   * Run once with -Dopnp.timing=true: the ImageNet head shape, 2,000 + 2,000 rows (-Dopnp.timing.rows=N
   * per side); prints, asserts nothing.
   */
  @Test
  void timeSweepAtImageNetShape() {
    Assumptions.assumeTrue(Boolean.getBoolean("opnp.timing"), "timing run only on request");
    int c = 1000;
    int d = 2048;
    int n = Integer.getInteger("opnp.timing.rows", 2000);
    int plans = Integer.getInteger("opnp.timing.plans", 300);
    Random r = new Random(1);
    Sensitivity s = new Sensitivity(c, d, 10, 1, gaussian(c * d, r), gaussian(d, r), "m", null);
    LinearHead head = new LinearHead(c, d, gaussian(c * d, r), gaussian(c, r));
    double[] valId = gaussian(n * d, r);
    double[] valOod = gaussian(n * d, r);
    List<PruningPercentages> grid = PlanSweep.grid(PlanSweep.RHO_W_MAX, PlanSweep.RHO_W_MIN,
        PlanSweep.RHO_O_MAX, PlanSweep.RHO_O_MIN).subList(0, plans);
    long t0 = System.nanoTime();
    io.opnp.math.SensitivityOrder.of(s);
    double tRank = (System.nanoTime() - t0) / 1e9;
    t0 = System.nanoTime();
    boxedMask(s.weight(), 10240, 0);
    double tBoxed = (System.nanoTime() - t0) / 1e9;
    t0 = System.nanoTime();
    head.logits(valId, n, new double[n * c]);
    double tLogits = (System.nanoTime() - t0) / 1e9;
    System.out.printf("ranking both sensitivities once: %.2f s; one boxed weight sort: %.2f s; logits of %d rows: %.2f s%n",
        tRank, tBoxed, n, tLogits);
    t0 = System.nanoTime();
    List<PlanSweep.Point> fast = PlanSweep.run(s, head, grid, valId, n, valOod, n);
    double tFast = (System.nanoTime() - t0) / 1e9;
    System.out.printf("sweep of %d plans at D=%d C=%d, %d + %d rows: %.1f s%n", plans, d, c, n, n, tFast);
    if (Boolean.getBoolean("opnp.timing.reference")) {
      t0 = System.nanoTime();
      List<PlanSweep.Point> reference = referenceRun(s, head, grid, valId, n, valOod, n);
      double tRef = (System.nanoTime() - t0) / 1e9;
      System.out.printf("reference (boxed sort per plan): %.1f s, identical: %s%n", tRef, reference.equals(fast));
    }
  }

  private static double[] gaussian(int n, Random r) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextGaussian();
    }
    return v;
  }

  private static double[] tied(int n, Random r) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextInt(5) * 0.25;
    }
    return v;
  }
}
