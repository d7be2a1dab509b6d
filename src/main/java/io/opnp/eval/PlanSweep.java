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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
    // Percentages that round to the same counts give the same masks, hence the same metrics.
    Map<List<Integer>, OodMetrics> byCounts = new HashMap<>();
    List<Point> points = new ArrayList<>(grid.size());
    for (int g = 0; g < grid.size(); g++) {
      PruningPercentages p = grid.get(g);
      List<Integer> counts = List.of(PruningPercentages.count(weights, p.rhoWMax()),
          PruningPercentages.count(weights, p.rhoWMin()), PruningPercentages.count(s.dim(), p.rhoOMax()),
          PruningPercentages.count(s.dim(), p.rhoOMin()));
      OodMetrics metrics = byCounts.get(counts);
      if (metrics == null) {
        PruningPlan plan;
        try {
          plan = PruningPlan.of(order, p);
        } catch (IllegalArgumentException e) {
          continue;  // rounding would remove everything at this size
        }
        LinearHead pruned = head.pruned(plan);
        metrics = OodMetrics.of(energy(pruned, valId, nId, s.temperature()),
            energy(pruned, valOod, nOod, s.temperature()));
        byCounts.put(counts, metrics);
      }
      points.add(new Point(p, metrics, g));
    }
    return points;
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
