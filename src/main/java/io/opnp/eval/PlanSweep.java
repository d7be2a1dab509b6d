package io.opnp.eval;

import io.opnp.math.Check;
import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import io.opnp.math.OodMetrics;
import io.opnp.math.PlanEnergies;
import io.opnp.math.PruningPercentages;
import io.opnp.math.Sensitivity;
import io.opnp.math.SensitivityOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Chooses the four OPNP percentages on a validation split (held-out ID images and an OOD set that is
 * none of the test sets): every plan of a grid scores the validation features with its pruned head,
 * and the best AUROC wins, the lower FPR95 breaking ties, then the grid order (so the choice is
 * reproducible). The all-zero plan (the plain energy score) is always in the grid. All plans are
 * scored together by {@link PlanEnergies} (one pass over the weights per block of rows, then a
 * log-sum-exp per plan), not by one pruned head product per plan.
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
    double f = 0, a = 0, i = 0, o = 0, g = 0;
    for (OodMetrics m : ms) {
      f += m.fpr95();
      g += m.fpr95OpenOod();
      a += m.auroc();
      i += m.auprIn();
      o += m.auprOut();
    }
    int n = ms.size();
    return new OodMetrics(f / n, a / n, i / n, o / n, g / n);
  }

  private PlanSweep() {}

  /** The grid evaluate searches: every combination of the four default lists. */
  public static List<PruningPercentages> defaultGrid() {
    return grid(RHO_W_MAX, RHO_W_MIN, RHO_O_MAX, RHO_O_MIN);
  }

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
    // Plans whose rounding would remove every weight or neuron at this size are left out.
    List<Integer> valid = toScore.stream().filter(g -> PlanEnergies.keepsSomething(s.classes(), s.dim(), grid.get(g)))
        .toList();
    Map<Integer, Optional<List<OodMetrics>>> scored = new java.util.HashMap<>();
    toScore.forEach(g -> scored.put(g, Optional.empty()));
    List<double[]> sets = new ArrayList<>();
    sets.add(valId);
    sets.addAll(oods);
    int[] counts = new int[sets.size()];
    counts[0] = nId;
    System.arraycopy(nOods, 0, counts, 1, nOods.length);
    for (List<Integer> chunk : chunks(valid, grid, s.classes(), s.dim())) {
      List<PruningPercentages> plans = chunk.stream().map(grid::get).toList();
      PlanEnergies engine = new PlanEnergies(order, head, plans);
      double[][][] e = engine.energies(plans, sets, counts, s.temperature(), threads(engine));
      for (int p = 0; p < chunk.size(); p++) {
        List<OodMetrics> out = new ArrayList<>(oods.size());
        for (int i = 0; i < oods.size(); i++) {
          out.add(OodMetrics.of(e[p][0], e[p][1 + i]));
        }
        scored.put(chunk.get(p), Optional.of(out));
      }
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

  /**
   * Estimated seconds of a grid on this driver ({@link PlanEnergies}): one pass adding every weight's
   * contribution per validation row, then a log-sum-exp over the classes per plan and row.
   */
  public static double estimatedSeconds(int plans, LinearHead head, long rows) {
    double accumulate = ACCUMULATE_NS * rows * head.classes() * head.dim();
    double perPlan = (io.opnp.math.ExpSums.VECTORIZED ? PLAN_NS : PLAN_NS_SCALAR) * plans * rows * head.classes();
    return (accumulate + perPlan) / 1e9 / Runtime.getRuntime().availableProcessors();
  }

  /**
   * Measured at 2048 × 1000 on one core of these machines (BENCHMARKS.md): ns per row and weight of
   * the accumulation, per plan, row and class of the rest (vector exp, or Math.exp).
   */
  static final double ACCUMULATE_NS = 1.0;
  static final double PLAN_NS = 6.7;
  static final double PLAN_NS_SCALAR = 18;

  /** The drivers' cores, as many as a quarter of the heap holds the scratch of. */
  static int threads(PlanEnergies engine) {
    long byMemory = Math.max(1, Runtime.getRuntime().maxMemory() / 4 / engine.bytesPerThread());
    return (int) Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), byMemory));
  }

  /**
   * Plans in groups whose boundaries cut the ranks into at most {@link #MAX_SLOTS} (weight × neuron)
   * cumulative slots, so a block's scratch stays bounded however many distinct percentages a grid has.
   */
  static List<List<Integer>> chunks(List<Integer> plans, List<PruningPercentages> grid, int classes, int dim) {
    List<List<Integer>> out = new ArrayList<>();
    List<Integer> cur = new ArrayList<>();
    java.util.Set<Integer> w = new java.util.HashSet<>();
    java.util.Set<Integer> n = new java.util.HashSet<>();
    for (int g : plans) {
      PruningPercentages p = grid.get(g);
      java.util.Set<Integer> w2 = new java.util.HashSet<>(w);
      java.util.Set<Integer> n2 = new java.util.HashSet<>(n);
      w2.add(PruningPercentages.count(classes * dim, p.rhoWMin()));
      w2.add(PruningPercentages.count(classes * dim, p.rhoWMax()));
      n2.add(PruningPercentages.count(dim, p.rhoOMin()));
      n2.add(PruningPercentages.count(dim, p.rhoOMax()));
      if (!cur.isEmpty() && (long) (w2.size() + 2) * (n2.size() + 2) > MAX_SLOTS) {
        out.add(cur);
        cur = new ArrayList<>();
        w2 = new java.util.HashSet<>(java.util.Set.of(PruningPercentages.count(classes * dim, p.rhoWMin()),
            PruningPercentages.count(classes * dim, p.rhoWMax())));
        n2 = new java.util.HashSet<>(java.util.Set.of(PruningPercentages.count(dim, p.rhoOMin()),
            PruningPercentages.count(dim, p.rhoOMax())));
      }
      cur.add(g);
      w = w2;
      n = n2;
    }
    if (!cur.isEmpty()) {
      out.add(cur);
    }
    return out;
  }

  static final int MAX_SLOTS = 200;

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
