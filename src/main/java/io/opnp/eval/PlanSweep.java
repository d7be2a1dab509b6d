package io.opnp.eval;

import io.opnp.math.Check;
import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import io.opnp.math.OodMetrics;
import io.opnp.math.PruningPercentages;
import io.opnp.math.PruningPlan;
import io.opnp.math.Sensitivity;
import io.opnp.math.SensitivityOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;

/**
 * Chooses the four OPNP percentages on a validation split (held-out ID images and an OOD set that is
 * none of the test sets): every plan of a grid scores the validation features with its pruned head,
 * and the best AUROC wins, the lower FPR95 breaking ties, then the grid order (so the choice is
 * reproducible). The all-zero plan (the plain energy score) is always in the grid.
 */
public final class PlanSweep {
  /** The default grid: 5 × 4 × 5 × 3 = 300 plans around the paper's settings. */
  public static final double[] RHO_W_MAX = {0, 0.5, 1, 2, 5};
  public static final double[] RHO_W_MIN = {0, 10, 30, 50};
  public static final double[] RHO_O_MAX = {0, 1, 5, 10, 30};
  public static final double[] RHO_O_MIN = {0, 10, 30};

  /** One plan's validation result. */
  public record Point(PruningPercentages plan, OodMetrics metrics, int order) {}

  private PlanSweep() {}

  /** Every combination of the four lists, in nested order. */
  public static List<PruningPercentages> grid(double[] wMax, double[] wMin, double[] oMax, double[] oMin) {
    List<PruningPercentages> out = new ArrayList<>();
    for (double a : wMax) {
      for (double b : wMin) {
        for (double c : oMax) {
          for (double d : oMin) {
            if (a + b < 100 && c + d < 100) {
              out.add(new PruningPercentages(a, b, c, d));
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * @param valId n×D validation ID features, row-major; {@code valOod} likewise
   */
  public static List<Point> run(Sensitivity s, LinearHead head, List<PruningPercentages> grid, double[] valId,
                                int nId, double[] valOod, int nOod) {
    Check.argument(nId > 0 && nOod > 0, "the validation split needs ID and OOD images, got %s and %s", nId, nOod);
    SensitivityOrder order = SensitivityOrder.of(s);  // ranked once for the whole grid
    int weights = s.classes() * s.dim();
    // Percentages that round to the same counts give the same masks, hence the same metrics: each
    // distinct set of counts is scored once, by its first plan in grid order.
    Map<List<Integer>, Integer> firstByCounts = new LinkedHashMap<>();
    List<List<Integer>> countsOf = new ArrayList<>(grid.size());
    for (int g = 0; g < grid.size(); g++) {
      PruningPercentages p = grid.get(g);
      List<Integer> counts = List.of(PruningPercentages.count(weights, p.rhoWMax()),
          PruningPercentages.count(weights, p.rhoWMin()), PruningPercentages.count(s.dim(), p.rhoOMax()),
          PruningPercentages.count(s.dim(), p.rhoOMin()));
      countsOf.add(counts);
      firstByCounts.putIfAbsent(counts, g);
    }
    List<Integer> toScore = new ArrayList<>(firstByCounts.values());
    Map<Integer, Optional<OodMetrics>> scored = new ConcurrentHashMap<>();
    Runnable all = () -> toScore.parallelStream().forEach(g -> scored.put(g,
        score(order, grid.get(g), head, valId, nId, valOod, nOod, s.temperature())));
    int threads = threads(head, Math.max(nId, nOod), toScore.size());
    ForkJoinPool pool = new ForkJoinPool(threads);
    try {
      pool.submit(all).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("plan sweep interrupted", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } finally {
      pool.shutdown();
    }
    List<Point> points = new ArrayList<>(grid.size());
    for (int g = 0; g < grid.size(); g++) {
      Optional<OodMetrics> m = scored.get(firstByCounts.get(countsOf.get(g)));
      if (m.isPresent()) {
        points.add(new Point(grid.get(g), m.get(), g));
      }
    }
    return points;
  }

  /** One plan's validation metrics; empty when rounding would remove every weight or neuron at this size. */
  private static Optional<OodMetrics> score(SensitivityOrder order, PruningPercentages p, LinearHead head,
                                            double[] valId, int nId, double[] valOod, int nOod, double t) {
    PruningPlan plan;
    try {
      plan = PruningPlan.of(order, p);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    LinearHead pruned = head.pruned(plan);
    return Optional.of(OodMetrics.of(energy(pruned, valId, nId, t), energy(pruned, valOod, nOod, t)));
  }

  /**
   * Plans are scored in parallel on the driver's cores (each plan's arithmetic is unchanged, so the
   * results are those of one thread), as many at a time as a quarter of the heap holds: each needs
   * a pruned head (C×D) and one side's logits (n×C) in float64.
   */
  static int threads(LinearHead head, int rows, int plans) {
    long perPlan = 8L * ((long) head.classes() * head.dim() + (long) rows * head.classes()) + (1 << 20);
    long byMemory = Math.max(1, Runtime.getRuntime().maxMemory() / 4 / perPlan);
    return (int) Math.max(1, Math.min(Math.min(Runtime.getRuntime().availableProcessors(), byMemory), plans));
  }

  /** Best AUROC, then lower FPR95, then earlier in the grid. */
  public static Point best(List<Point> points) {
    Check.argument(!points.isEmpty(), "the sweep evaluated no plan");
    return points.stream().min(ORDER).orElseThrow();
  }

  public static final Comparator<Point> ORDER = Comparator
      .comparingDouble((Point p) -> -p.metrics().auroc())
      .thenComparingDouble(p -> p.metrics().fpr95())
      .thenComparingInt(Point::order);

  static double[] energy(LinearHead head, double[] features, int n, double t) {
    double[] logits = new double[n * head.classes()];
    head.logits(features, n, logits);
    double[] out = new double[n];
    for (int k = 0; k < n; k++) {
      out[k] = Energy.score(logits, k * head.classes(), head.classes(), t);
    }
    return out;
  }
}
