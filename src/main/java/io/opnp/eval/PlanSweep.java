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
import java.util.function.ToDoubleFunction;

/**
 * Chooses the four OPNP percentages on a validation split (held-out ID images and an OOD set that is
 * none of the test sets): every plan of a grid scores the validation features with its pruned head,
 * and the best AUROC wins, the lower FPR95 breaking ties, then the grid order (so the choice is
 * reproducible). The all-zero plan (the plain energy score) is always in the grid.
 */
public final class PlanSweep {
  /**
   * The default grid: 7 × 4 × 6 × 3 = 504 plans around the paper's settings, wide enough that an
   * optimum at the paper's largest values (ρw_max 5, ρo_max 30) is not on the grid's edge.
   */
  public static final double[] RHO_W_MAX = {0, 0.5, 1, 2, 5, 10, 20};
  public static final double[] RHO_W_MIN = {0, 10, 30, 50};
  public static final double[] RHO_O_MAX = {0, 1, 5, 10, 30, 50};
  public static final double[] RHO_O_MIN = {0, 10, 30};

  /**
   * One plan's validation result: {@code metrics} averaged over the proxies (each field the mean of
   * the per-proxy values), {@code criterion} the selection criterion over the per-proxy AUROCs.
   */
  public record Point(PruningPercentages plan, OodMetrics metrics, int order, List<OodMetrics> perProxy,
                      double criterion) {
    public Point(PruningPercentages plan, OodMetrics metrics, int order) {
      this(plan, metrics, order, List.of(metrics), metrics.auroc());
    }

    public double[] aurocs() {
      return perProxy.stream().mapToDouble(OodMetrics::auroc).toArray();
    }

    public double[] fpr95s() {
      return perProxy.stream().mapToDouble(OodMetrics::fpr95).toArray();
    }
  }

  /** The mean of several proxies' metrics, field by field. */
  public static OodMetrics mean(List<OodMetrics> ms) {
    double f = 0, a = 0, i = 0, o = 0;
    for (OodMetrics m : ms) {
      f += m.fpr95();
      a += m.auroc();
      i += m.auprIn();
      o += m.auprOut();
    }
    int n = ms.size();
    return new OodMetrics(f / n, a / n, i / n, o / n);
  }

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
    return run(s, head, grid, valId, nId, List.of(valOod), new int[] {nOod}, a -> a[0]);
  }

  /**
   * Every plan against several validation OOD proxies at once.
   *
   * @param oods per proxy, n×D features; {@code nOods} their row counts
   * @param criterion the selection criterion over the per-proxy AUROCs (e.g. their mean or minimum)
   */
  public static List<Point> run(Sensitivity s, LinearHead head, List<PruningPercentages> grid, double[] valId,
                                int nId, List<double[]> oods, int[] nOods, ToDoubleFunction<double[]> criterion) {
    Check.argument(nId > 0, "the validation split needs ID images, got %s", nId);
    Check.argument(!oods.isEmpty() && oods.size() == nOods.length, "the sweep needs at least one OOD proxy, got %s",
        oods.size());
    for (int i = 0; i < nOods.length; i++) {
      Check.argument(nOods[i] > 0, "validation OOD proxy %s has no images", i);
    }
    return run(SensitivityOrder.of(s), s, head, grid, valId, nId, oods, nOods, criterion);
  }

  private static List<Point> run(SensitivityOrder order, Sensitivity s, LinearHead head,
                                 List<PruningPercentages> grid, double[] valId, int nId, List<double[]> oods,
                                 int[] nOods, ToDoubleFunction<double[]> criterion) {
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
    Map<Integer, Optional<List<OodMetrics>>> scored = new ConcurrentHashMap<>();
    Runnable all = () -> toScore.parallelStream().forEach(g -> scored.put(g,
        score(order, grid.get(g), head, valId, nId, oods, nOods, s.temperature())));
    int threads = threads(head, Math.max(nId, java.util.Arrays.stream(nOods).max().orElse(0)), toScore.size());
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
      Optional<List<OodMetrics>> m = scored.get(firstByCounts.get(countsOf.get(g)));
      if (m.isPresent()) {
        double[] aurocs = m.get().stream().mapToDouble(OodMetrics::auroc).toArray();
        OodMetrics avg = m.get().size() == 1 ? m.get().get(0) : mean(m.get());
        points.add(new Point(grid.get(g), avg, g, m.get(), criterion.applyAsDouble(aurocs)));
      }
    }
    return points;
  }

  /**
   * Coordinate search over the same axes, for heads where the whole grid costs too much (at
   * ImageNet's 2048 × 1000 every plan is a 2-million-weight product per validation row): from the
   * unpruned head, each percentage in turn is swept with the others held, the best kept, until a
   * round changes nothing (each change strictly improves on a finite grid, so it ends). Every line
   * through the final plan is evaluated, so the per-percentage plots still show it; plans already
   * scored are not scored again.
   */
  public static List<Point> coordinate(Sensitivity s, LinearHead head, double[][] axes, double[] valId, int nId,
                                       List<double[]> oods, int[] nOods, ToDoubleFunction<double[]> criterion) {
    Check.argument(axes.length == 4, "the coordinate sweep needs 4 axes, got %s", axes.length);
    SensitivityOrder order = SensitivityOrder.of(s);
    Map<PruningPercentages, Point> seen = new LinkedHashMap<>();
    double[] cur = {0, 0, 0, 0};
    while (true) {
      boolean changed = false;
      for (int axis = 0; axis < 4; axis++) {
        List<PruningPercentages> line = new ArrayList<>();
        for (double v : axes[axis]) {
          double[] x = cur.clone();
          x[axis] = v;
          if (x[0] + x[1] < 100 && x[2] + x[3] < 100) {
            line.add(new PruningPercentages(x[0], x[1], x[2], x[3]));
          }
        }
        List<PruningPercentages> fresh = line.stream().filter(p -> !seen.containsKey(p)).toList();
        for (Point p : run(order, s, head, fresh, valId, nId, oods, nOods, criterion)) {
          seen.put(p.plan(), new Point(p.plan(), p.metrics(), seen.size(), p.perProxy(), p.criterion()));
        }
        Optional<Point> best = line.stream().map(seen::get).filter(java.util.Objects::nonNull).min(ORDER);
        if (best.isPresent()) {
          PruningPercentages b = best.get().plan();
          double[] x = {b.rhoWMax(), b.rhoWMin(), b.rhoOMax(), b.rhoOMin()};
          if (!java.util.Arrays.equals(x, cur)) {
            cur = x;
            changed = true;
          }
        }
      }
      if (!changed) {
        break;
      }
    }
    return new ArrayList<>(seen.values());
  }

  /** The distinct values of each percentage in {@code grid}, ascending: the axes of a coordinate search. */
  public static double[][] axes(List<PruningPercentages> grid) {
    List<ToDoubleFunction<PruningPercentages>> get = List.of(PruningPercentages::rhoWMax,
        PruningPercentages::rhoWMin, PruningPercentages::rhoOMax, PruningPercentages::rhoOMin);
    double[][] out = new double[4][];
    for (int a = 0; a < 4; a++) {
      out[a] = grid.stream().mapToDouble(get.get(a)).distinct().sorted().toArray();
    }
    return out;
  }

  /** Estimated seconds of the full grid on this driver: one C×D product per plan and validation row. */
  public static double estimatedSeconds(int plans, LinearHead head, long rows) {
    double flops = 2.0 * plans * rows * head.classes() * head.dim();
    return flops / (GFLOPS_PER_CORE * 1e9 * Runtime.getRuntime().availableProcessors());
  }

  /** Measured with netlib's Java BLAS at 2048 × 1000 on one core of these machines (BENCHMARKS.md). */
  static final double GFLOPS_PER_CORE = 6.7;

  /** One plan's validation metrics; empty when rounding would remove every weight or neuron at this size. */
  private static Optional<List<OodMetrics>> score(SensitivityOrder order, PruningPercentages p, LinearHead head,
                                                  double[] valId, int nId, List<double[]> oods, int[] nOods,
                                                  double t) {
    PruningPlan plan;
    try {
      plan = PruningPlan.of(order, p);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    LinearHead pruned = head.pruned(plan);
    double[] id = energy(pruned, valId, nId, t);
    List<OodMetrics> out = new ArrayList<>(oods.size());
    for (int i = 0; i < oods.size(); i++) {
      out.add(OodMetrics.of(id, energy(pruned, oods.get(i), nOods[i], t)));
    }
    return Optional.of(out);
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

  /** Best criterion (the AUROC for one proxy), then mean AUROC, then lower mean FPR95, then earlier in the grid. */
  public static Point best(List<Point> points) {
    Check.argument(!points.isEmpty(), "the sweep evaluated no plan");
    return points.stream().min(ORDER).orElseThrow();
  }

  public static final Comparator<Point> ORDER = Comparator
      .comparingDouble((Point p) -> -p.criterion())
      .thenComparingDouble(p -> -p.metrics().auroc())
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
