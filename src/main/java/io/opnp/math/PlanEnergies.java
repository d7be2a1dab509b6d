package io.opnp.math;

import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * The energy score of many pruning plans over the same rows at the cost of about one head product
 * per row, not one per plan and row. A plan keeps the weights whose sensitivity rank lies in one
 * interval and the neurons whose rank lies in another; the intervals' ends over all plans cut the
 * weight ranks into a few bins and the neuron ranks into a few more. For a block of rows, each
 * weight's contribution {@code w_ij h_j} is added once into its (weight bin, neuron bin) partial
 * logits, and those are summed cumulatively over both bin axes; a plan's logits are then four
 * cumulative sums combined ({@code S[x1][y1] − S[x0][y1] − S[x1][y0] + S[x0][y0]}) plus the bias,
 * and its energy is {@link Energy#score}'s formula on them. The sums are in float64 in another
 * order than the pruned head's product, so energies agree with it to rounding (about 1e-13
 * relative), not bit for bit.
 */
public final class PlanEnergies {
  /** Rows per block: the partial logits of a block (bins × C × ROWS doubles) stay within tens of MB. */
  static final int ROWS = 64;

  private final int classes;
  private final int dim;
  private final double[] bias;
  private final int[] weightCuts;  // ascending rank positions, 0 and C·D included
  private final int[] neuronCuts;  // likewise over D
  private final int[] offsets;  // (bucket · C + class) → first entry; bucket = weight bin · neuron bins + neuron bin
  private final int[] columns;  // entry → neuron j
  private final double[] values;  // entry → w_ij

  /**
   * @param plans every plan that will be asked for (their counts fix the bins); each must keep at
   *     least one weight and one neuron
   */
  public PlanEnergies(SensitivityOrder order, LinearHead head, List<PruningPercentages> plans) {
    Check.argument(order.classes() == head.classes() && order.dim() == head.dim(),
        "sensitivity shape %sx%s does not match head shape %sx%s", order.classes(), order.dim(), head.classes(),
        head.dim());
    Check.argument(!plans.isEmpty(), "no plans given");
    this.classes = head.classes();
    this.dim = head.dim();
    this.bias = head.bias();
    int weights = classes * dim;
    TreeSet<Integer> wc = new TreeSet<>(List.of(0, weights));
    TreeSet<Integer> nc = new TreeSet<>(List.of(0, dim));
    for (PruningPercentages p : plans) {
      Kept k = kept(p);
      Check.argument(k.w0 < k.w1 && k.n0 < k.n1, "plan %s keeps no weight or no neuron at %sx%s", p, classes, dim);
      wc.add(k.w0);
      wc.add(k.w1);
      nc.add(k.n0);
      nc.add(k.n1);
    }
    weightCuts = wc.stream().mapToInt(Integer::intValue).toArray();
    neuronCuts = nc.stream().mapToInt(Integer::intValue).toArray();
    int wBins = weightCuts.length - 1;
    int nBins = neuronCuts.length - 1;
    int[] wRank = order.weightRanks();
    int[] nRank = order.neuronRanks();
    int[] neuronBin = new int[dim];
    for (int j = 0; j < dim; j++) {
      neuronBin[j] = bin(neuronCuts, nRank[j]);
    }
    double[] w = head.weight();
    // Entries grouped by (bucket, class), in neuron order within a group: a counting sort.
    int groups = wBins * nBins * classes;
    offsets = new int[groups + 1];
    int[] groupOf = new int[weights];
    for (int i = 0; i < classes; i++) {
      for (int j = 0; j < dim; j++) {
        int f = i * dim + j;
        int g = w[f] == 0 ? -1 : ((bin(weightCuts, wRank[f]) * nBins + neuronBin[j]) * classes + i);
        groupOf[f] = g;
        if (g >= 0) {
          offsets[g + 1]++;
        }
      }
    }
    for (int g = 0; g < groups; g++) {
      offsets[g + 1] += offsets[g];
    }
    columns = new int[offsets[groups]];
    values = new double[offsets[groups]];
    int[] fill = Arrays.copyOf(offsets, groups);
    for (int f = 0; f < weights; f++) {
      int g = groupOf[f];
      if (g >= 0) {
        columns[fill[g]] = f % dim;
        values[fill[g]++] = w[f];
      }
    }
  }

  /** Whether a plan keeps at least one weight and one neuron at this shape (the rule of {@link PruningPlan}). */
  public static boolean keepsSomething(int classes, int dim, PruningPercentages p) {
    int weights = classes * dim;
    return PruningPercentages.count(weights, p.rhoWMax()) + PruningPercentages.count(weights, p.rhoWMin()) < weights
        && PruningPercentages.count(dim, p.rhoOMax()) + PruningPercentages.count(dim, p.rhoOMin()) < dim;
  }

  /** The kept rank intervals of a plan: weights [w0, w1), neurons [n0, n1). */
  private record Kept(int w0, int w1, int n0, int n1) {}

  private Kept kept(PruningPercentages p) {
    int weights = classes * dim;
    return new Kept(PruningPercentages.count(weights, p.rhoWMin()), weights - PruningPercentages.count(weights,
        p.rhoWMax()), PruningPercentages.count(dim, p.rhoOMin()), dim - PruningPercentages.count(dim, p.rhoOMax()));
  }

  private static int bin(int[] cuts, int rank) {
    int i = Arrays.binarySearch(cuts, rank);
    return i >= 0 ? i : -i - 2;
  }

  private static int cut(int[] cuts, int position) {
    int i = Arrays.binarySearch(cuts, position);
    if (i < 0) {
      throw new IllegalArgumentException("plan boundary " + position + " was not among the plans given");
    }
    return i;
  }

  /**
   * Energies of every plan over every row set: {@code out[p][s][k]} is plan p's energy of row k of
   * set s, as {@code Energy.score} of the pruned head's logits at {@code temperature}.
   *
   * @param sets row-major n×D features per set; {@code counts} their row counts
   * @param threads blocks of rows are worked on by this many threads at once
   */
  public double[][][] energies(List<PruningPercentages> plans, List<double[]> sets, int[] counts, double temperature,
                               int threads) {
    Check.argument(sets.size() == counts.length, "%s row sets but %s counts", sets.size(), counts.length);
    int[][] corners = new int[plans.size()][];
    for (int p = 0; p < plans.size(); p++) {
      Kept k = kept(plans.get(p));
      corners[p] = new int[] {cut(weightCuts, k.w0), cut(weightCuts, k.w1), cut(neuronCuts, k.n0),
          cut(neuronCuts, k.n1)};
    }
    double[][][] out = new double[plans.size()][sets.size()][];
    List<int[]> blocks = new java.util.ArrayList<>();  // {set, first row}
    for (int s = 0; s < sets.size(); s++) {
      Check.capacity(sets.get(s), (long) counts[s] * dim, "row set " + s);
      for (int p = 0; p < plans.size(); p++) {
        out[p][s] = new double[counts[s]];
      }
      for (int k0 = 0; k0 < counts[s]; k0 += ROWS) {
        blocks.add(new int[] {s, k0});
      }
    }
    ThreadLocal<Block> scratch = ThreadLocal.withInitial(Block::new);
    Runnable all = () -> IntStream.range(0, blocks.size()).parallel().forEach(b -> {
      int[] x = blocks.get(b);
      scratch.get().run(sets.get(x[0]), x[1], Math.min(ROWS, counts[x[0]] - x[1]), corners, temperature, out, x[0]);
    });
    ForkJoinPool pool = new ForkJoinPool(Math.max(1, threads));
    try {
      pool.submit(all).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("plan energies interrupted", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } finally {
      pool.shutdown();
    }
    return out;
  }

  /** Bytes of scratch each thread holds (the cumulative partial logits of one block dominate). */
  public long bytesPerThread() {
    return 8L * ((long) weightCuts.length * neuronCuts.length * classes * ROWS + (long) dim * ROWS
        + (long) classes * ROWS + 2L * ROWS);
  }

  /** One thread's scratch for a block of rows. */
  private final class Block {
    private final int nCut = neuronCuts.length;
    private final double[] ht = new double[dim * ROWS];  // the block's features, transposed: ht[j·ROWS + k]
    private final double[] sums = new double[weightCuts.length * nCut * classes * ROWS];
    private final double[] logits = new double[classes * ROWS];
    private final double[] max = new double[ROWS];
    private final double[] total = new double[ROWS];

    void run(double[] rows, int first, int r, int[][] corners, double t, double[][][] out, int set) {
      Arrays.fill(ht, 0);
      for (int k = 0; k < r; k++) {
        int row = (first + k) * dim;
        for (int j = 0; j < dim; j++) {
          ht[j * ROWS + k] = rows[row + j];
        }
      }
      Arrays.fill(sums, 0);
      int wBins = weightCuts.length - 1;
      int nBins = nCut - 1;
      int cr = classes * ROWS;
      // Partial logits of bin (x, y) go to cumulative slot (x + 1, y + 1); slots of index 0 stay zero.
      for (int x = 0; x < wBins; x++) {
        for (int y = 0; y < nBins; y++) {
          int group = (x * nBins + y) * classes;
          int slot = ((x + 1) * nCut + (y + 1)) * cr;
          for (int i = 0; i < classes; i++) {
            int o = slot + i * ROWS;
            for (int e = offsets[group + i], end = offsets[group + i + 1]; e < end; e++) {
              double w = values[e];
              int h = columns[e] * ROWS;
              for (int k = 0; k < ROWS; k++) {
                sums[o + k] += w * ht[h + k];
              }
            }
          }
        }
      }
      for (int x = 1; x <= wBins; x++) {  // cumulative over weight bins
        for (int y = 0; y < nCut; y++) {
          add(sums, (x * nCut + y) * cr, ((x - 1) * nCut + y) * cr, cr);
        }
      }
      for (int x = 0; x <= wBins; x++) {  // and over neuron bins
        for (int y = 1; y < nCut; y++) {
          add(sums, (x * nCut + y) * cr, (x * nCut + y - 1) * cr, cr);
        }
      }
      for (int p = 0; p < corners.length; p++) {
        int[] c = corners[p];
        int a = (c[1] * nCut + c[3]) * cr;
        int b = (c[0] * nCut + c[3]) * cr;
        int d = (c[1] * nCut + c[2]) * cr;
        int e = (c[0] * nCut + c[2]) * cr;
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
        Arrays.fill(total, 0);
        boolean unit = t == 1.0;  // v / 1.0 == v: the division is skipped, not approximated
        for (int i = 0; i < classes; i++) {
          double bi = bias[i];
          int o = i * ROWS;
          for (int k = 0; k < ROWS; k++) {
            double v = sums[a + o + k] - sums[b + o + k] - sums[d + o + k] + sums[e + o + k] + bi;
            v = unit ? v : v / t;
            logits[o + k] = v;
            max[k] = Math.max(max[k], v);
          }
        }
        for (int i = 0; i < classes; i++) {
          ExpSums.add(logits, i * ROWS, max, total, ROWS);  // padding rows too: whole vectors, results unused
        }
        double[] dst = out[p][set];
        for (int k = 0; k < r; k++) {
          dst[first + k] = t * (max[k] + Math.log(total[k]));
        }
      }
    }

    private void add(double[] a, int to, int from, int n) {
      for (int i = 0; i < n; i++) {
        a[to + i] += a[from + i];
      }
    }
  }
}
