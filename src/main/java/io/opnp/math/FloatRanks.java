package io.opnp.math;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Exact order statistics of a multiset of float32 values too large to sort (every activation of a
 * training set: N × D values), by radix selection in two counting passes: the first counts values
 * by the high 16 bits of an order-preserving 32-bit key, which locates each wanted rank's bucket;
 * the second counts, inside those buckets only, the low 16 bits, which fixes the value. Counts are
 * additive, so each pass is a per-partition sum merged by a tree; memory is 65,536 counts per pass
 * and bucket, whatever the data size. Percentiles then follow NumPy's default linear interpolation,
 * {@code np.percentile(a, q)}, exactly (the values are float32, as the feature cache holds them).
 */
public final class FloatRanks {
  static final int BUCKETS = 1 << 16;

  private FloatRanks() {}

  /** An unsigned key whose order is the floats' order (−0.0 just before 0.0); NaN is refused earlier. */
  static int key(float v) {
    int bits = Float.floatToRawIntBits(v);
    return bits >= 0 ? bits ^ 0x80000000 : ~bits;
  }

  static float value(int key) {
    return Float.intBitsToFloat(key < 0 ? key ^ 0x80000000 : ~key);
  }

  /** First pass: counts by the key's high 16 bits. Mutable, merge returns this (a treeAggregate's zero value). */
  public static final class High implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long[] counts = new long[BUCKETS];

    /** Adds {@code values[0..n)} (float32 values held as float64, as the cache's readers give them). */
    public High add(double[] values, int n) {
      for (int i = 0; i < n; i++) {
        counts[key((float) values[i]) >>> 16]++;
      }
      return this;
    }

    public High merge(High o) {
      for (int b = 0; b < BUCKETS; b++) {
        counts[b] += o.counts[b];
      }
      return this;
    }

    public long count() {
      long n = 0;
      for (long c : counts) {
        n += c;
      }
      return n;
    }

    /** For each rank (0-based, ascending), the high bucket it is in and its rank inside that bucket. */
    long[][] locate(long[] ranks) {
      long[][] out = new long[ranks.length][];
      for (int r = 0; r < ranks.length; r++) {
        long before = 0;
        for (int b = 0; b < BUCKETS; b++) {
          if (before + counts[b] > ranks[r]) {
            out[r] = new long[] {b, ranks[r] - before};
            break;
          }
          before += counts[b];
        }
        Check.argument(out[r] != null, "rank %s is beyond the %s values counted", ranks[r], before);
      }
      return out;
    }
  }

  /** Second pass: inside the chosen high buckets, counts by the key's low 16 bits. */
  public static final class Low implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int[] buckets;  // ascending high buckets
    private final long[][] counts;

    public Low(int[] buckets) {
      this.buckets = buckets.clone();
      Arrays.sort(this.buckets);
      this.counts = new long[this.buckets.length][BUCKETS];
    }

    public Low add(double[] values, int n) {
      for (int i = 0; i < n; i++) {
        int k = key((float) values[i]);
        int b = Arrays.binarySearch(buckets, k >>> 16);
        if (b >= 0) {
          counts[b][k & 0xFFFF]++;
        }
      }
      return this;
    }

    public Low merge(Low o) {
      Check.argument(Arrays.equals(buckets, o.buckets), "cannot merge counts of other buckets");
      for (int b = 0; b < buckets.length; b++) {
        for (int l = 0; l < BUCKETS; l++) {
          counts[b][l] += o.counts[b][l];
        }
      }
      return this;
    }

    float value(long bucket, long rankInBucket) {
      long[] c = counts[Arrays.binarySearch(buckets, (int) bucket)];
      long before = 0;
      for (int l = 0; l < BUCKETS; l++) {
        if (before + c[l] > rankInBucket) {
          return FloatRanks.value((int) (bucket << 16 | l));
        }
        before += c[l];
      }
      throw new IllegalStateException("the second pass counted fewer values than the first in bucket " + bucket);
    }
  }

  /** The two ranks {@code ⌊r⌋, ⌊r⌋+1} (clamped) that NumPy's linear percentile reads, r = q/100·(n−1), per q. */
  public static long[] ranks(double[] percents, long n) {
    Check.argument(n > 0, "percentiles of no values");
    long[] out = new long[2 * percents.length];
    for (int i = 0; i < percents.length; i++) {
      Check.argument(percents[i] >= 0 && percents[i] <= 100, "percentile must be in [0, 100], got %s", percents[i]);
      long lo = (long) Math.floor(percents[i] / 100.0 * (n - 1));
      out[2 * i] = lo;
      out[2 * i + 1] = Math.min(lo + 1, n - 1);
    }
    return out;
  }

  /** The high buckets the second pass must count in, for these ranks. */
  public static int[] buckets(High high, long[] ranks) {
    return Arrays.stream(high.locate(ranks)).mapToInt(x -> (int) x[0]).distinct().sorted().toArray();
  }

  /** The percentiles, from both passes: {@code np.percentile(values, q)} for each q. */
  public static double[] percentiles(High high, Low low, double[] percents) {
    long n = high.count();
    long[] ranks = ranks(percents, n);
    long[][] at = high.locate(ranks);
    double[] out = new double[percents.length];
    for (int i = 0; i < percents.length; i++) {
      double r = percents[i] / 100.0 * (n - 1);
      long lo = ranks[2 * i];
      double vLo = low.value(at[2 * i][0], at[2 * i][1]);
      if (lo >= n - 1) {
        out[i] = vLo;
        continue;
      }
      double vHi = low.value(at[2 * i + 1][0], at[2 * i + 1][1]);
      out[i] = vLo + (r - lo) * (vHi - vLo);
    }
    return out;
  }
}
