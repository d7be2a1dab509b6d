package io.opnp.decision;

import io.opnp.math.Check;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How sure the validation data is of a choice among detectors: a paired bootstrap over the
 * validation rows. Each resample draws the ID rows and each proxy's OOD rows with replacement, the
 * same draw for every candidate (they scored the same images), and recomputes every candidate's
 * criterion; a candidate whose 95 % interval of "criterion minus the leader's" reaches zero cannot be
 * told apart from the leader by this data. AUROC under a resample is the weighted Mann–Whitney
 * statistic over each candidate's rows sorted once, so a resample costs one pass per candidate and
 * proxy.
 */
public final class ChoiceUncertainty {
  /** Two-sided level of the difference intervals. */
  public static final double LEVEL = 0.95;

  /**
   * @param winShare per candidate, the share of resamples in which it had the highest criterion
   * @param lower per candidate, the lower 2.5 % quantile of (its criterion − the leader's)
   * @param upper the upper 97.5 % quantile of the same difference
   * @param tied per candidate, whether the interval reaches 0 (the leader itself included)
   */
  public record Result(int leader, double[] winShare, double[] lower, double[] upper, boolean[] tied, int resamples) {
    public int tiedCount() {
      int n = 0;
      for (boolean t : tied) {
        n += t ? 1 : 0;
      }
      return n;
    }
  }

  private ChoiceUncertainty() {}

  /**
   * @param id per candidate, its scores of the same validation ID rows (higher = more in-distribution)
   * @param ood per candidate and proxy, its scores of the same OOD rows of that proxy
   * @param leader the index of the candidate chosen on the full data
   */
  public static Result of(double[][] id, double[][][] ood, Criterion criterion, int leader, int resamples, long seed) {
    double[] equal = new double[ood.length == 0 ? 0 : ood[0].length];
    java.util.Arrays.fill(equal, 1);
    return of(id, ood, criterion, equal, leader, resamples, seed);
  }

  /** {@link #of(double[][], double[][][], Criterion, int, int, long)} with the proxies weighted in the criterion. */
  public static Result of(double[][] id, double[][][] ood, Criterion criterion, double[] weights, int leader,
                          int resamples, long seed) {
    int k = id.length;
    Check.argument(k > 0 && ood.length == k, "need the same candidates for ID (%s) and OOD (%s)", k, ood.length);
    Check.argument(leader >= 0 && leader < k, "leader %s is not one of %s candidates", leader, k);
    Check.argument(resamples >= 100, "at least 100 resamples, got %s", resamples);
    int proxies = ood[0].length;
    int nId = id[0].length;
    Sorted[][] sorted = new Sorted[k][proxies];
    for (int c = 0; c < k; c++) {
      Check.argument(id[c].length == nId && ood[c].length == proxies, "candidate %s scored other rows", c);
      for (int p = 0; p < proxies; p++) {
        Check.argument(ood[c][p].length == ood[0][p].length, "candidate %s scored other rows of proxy %s", c, p);
        sorted[c][p] = Sorted.of(id[c], ood[c][p]);
      }
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    double[][] diffs = new double[k][resamples];
    int[] wins = new int[k];
    double[] wId = new double[nId];
    double[][] wOod = new double[proxies][];
    double[] crit = new double[k];
    double[] aurocs = new double[proxies];
    for (int r = 0; r < resamples; r++) {
      draw(wId, rnd);
      for (int p = 0; p < proxies; p++) {
        wOod[p] = wOod[p] == null ? new double[ood[0][p].length] : wOod[p];
        draw(wOod[p], rnd);
      }
      int best = 0;
      for (int c = 0; c < k; c++) {
        for (int p = 0; p < proxies; p++) {
          aurocs[p] = sorted[c][p].auroc(wId, wOod[p]);
        }
        crit[c] = criterion.of(aurocs, weights);
        if (crit[c] > crit[best]) {
          best = c;
        }
      }
      wins[best]++;
      for (int c = 0; c < k; c++) {
        diffs[c][r] = crit[c] - crit[leader];
      }
    }
    double[] share = new double[k];
    double[] lower = new double[k];
    double[] upper = new double[k];
    boolean[] tied = new boolean[k];
    double tail = (1 - LEVEL) / 2;
    for (int c = 0; c < k; c++) {
      share[c] = (double) wins[c] / resamples;
      double[] d = diffs[c].clone();
      Arrays.sort(d);
      lower[c] = d[(int) Math.floor(tail * (resamples - 1))];
      upper[c] = d[(int) Math.ceil((1 - tail) * (resamples - 1))];
      tied[c] = c == leader || upper[c] >= 0;
    }
    return new Result(leader, share, lower, upper, tied, resamples);
  }

  /** The weighted AUROC (ID positive) of ID and OOD scores, each row counted by its weight. */
  static double auroc(double[] id, double[] ood, double[] wId, double[] wOod) {
    return Sorted.of(id, ood).auroc(wId, wOod);
  }

  /** Multiplicities of n draws with replacement from n rows. */
  private static void draw(double[] w, SplittableRandom rnd) {
    Arrays.fill(w, 0);
    for (int i = 0; i < w.length; i++) {
      w[rnd.nextInt(w.length)]++;
    }
  }

  /** One candidate's ID and OOD rows of one proxy in score order, equal scores grouped. */
  private record Sorted(int[] rows, boolean[] isOod, int[] groupEnd) {
    static Sorted of(double[] id, double[] ood) {
      int n = id.length + ood.length;
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Double.compare(a < id.length ? id[a] : ood[a - id.length],
          b < id.length ? id[b] : ood[b - id.length]));
      int[] rows = new int[n];
      boolean[] isOod = new boolean[n];
      List<Integer> ends = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int o = order[i];
        isOod[i] = o >= id.length;
        rows[i] = isOod[i] ? o - id.length : o;
        double s = isOod[i] ? ood[rows[i]] : id[rows[i]];
        if (i + 1 == n || Double.compare(s, next(order[i + 1], id, ood)) != 0) {
          ends.add(i + 1);
        }
      }
      return new Sorted(rows, isOod, ends.stream().mapToInt(Integer::intValue).toArray());
    }

    private static double next(int o, double[] id, double[] ood) {
      return o < id.length ? id[o] : ood[o - id.length];
    }

    /** P(ID score > OOD score) + P(equal) / 2 under the row weights. */
    double auroc(double[] wId, double[] wOod) {
      double oodBelow = 0;
      double pairs = 0;
      double totalId = 0;
      double totalOod = 0;
      int start = 0;
      for (int end : groupEnd) {
        double gId = 0;
        double gOod = 0;
        for (int i = start; i < end; i++) {
          if (isOod[i]) {
            gOod += wOod[rows[i]];
          } else {
            gId += wId[rows[i]];
          }
        }
        pairs += gId * (oodBelow + 0.5 * gOod);
        oodBelow += gOod;
        totalId += gId;
        totalOod += gOod;
        start = end;
      }
      return totalId == 0 || totalOod == 0 ? 0.5 : pairs / (totalId * totalOod);
    }
  }
}
