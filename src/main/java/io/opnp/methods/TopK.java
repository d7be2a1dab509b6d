package io.opnp.methods;

import dev.ludovic.netlib.blas.BLAS;
import io.opnp.math.Check;
import java.io.Serializable;
import java.util.Arrays;

/**
 * The k smallest Euclidean distances from each of n queries to the rows of a {@link KnnBank} (or
 * shard), sorted ascending and padded with +∞ when the shard has fewer than k rows. The k smallest
 * distances to a union of shards are the k smallest of the shards' own k smallest, so
 * {@link #merge} of per-shard results equals the result over the whole bank, whatever the order and
 * grouping of merges. Immutable.
 */
public final class TopK implements Serializable {
  private static final long serialVersionUID = 1L;
  /**
   * How far a distance may be from its float64 value: the float32 product's rounding (about
   * {@code √D · 6e-8} for unit vectors) with a wide margin, for distances not close to 0.
   */
  public static final double FLOAT32_DISTANCE_TOLERANCE = 1e-5;
  private static final int QUERY_BLOCK = 256;
  private static final int BANK_BLOCK = 2048;

  private final int n;
  private final int k;
  private final double[] distances;  // n×k, each row ascending

  private TopK(int n, int k, double[] distances) {
    this.n = n;
    this.k = k;
    this.distances = distances;
  }

  /**
   * The k nearest distances from the n raw query features (n×D row-major, L2-normalized here like
   * the bank) to the rows of {@code shard}. Squared distances are {@code ‖q‖² + ‖z‖² − 2 q·z},
   * with the dot products as blocked float32 BLAS products of the queries rounded to float32 and the
   * float32 bank (the norms in float64 of the same rounded vectors), clamped at 0. The heaps order
   * squared distances; the square root is taken of the k kept.
   */
  public static TopK of(KnnBank shard, double[] queries, int n, int k) {
    Check.positive(k, "k");
    Check.argument(n >= 0, "number of queries must be >= 0, got %s", n);
    int dim = shard.dim();
    Check.capacity(queries, (long) n * dim, "query features");
    float[] q = KnnBank.toFloat(KnnBank.normalize(queries, n, dim));
    double[] q2 = KnnBank.squaredNorms(q, n, dim);
    float[] bank = shard.rows();
    double[] b2 = shard.norms2();
    int m = shard.size();
    double[] heaps = new double[n * k];
    Arrays.fill(heaps, Double.POSITIVE_INFINITY);  // a max-heap per query; +∞ fills empty slots
    float[] g = new float[QUERY_BLOCK * BANK_BLOCK];
    BLAS blas = io.opnp.math.Blas.get();
    for (int q0 = 0; q0 < n; q0 += QUERY_BLOCK) {
      int qn = Math.min(QUERY_BLOCK, n - q0);
      for (int b0 = 0; b0 < m; b0 += BANK_BLOCK) {
        int bn = Math.min(BANK_BLOCK, m - b0);
        // Column-major G (bn×qn) = Z_blk (bn×D) · Q_blkᵀ (D×qn); row-major Z is column-major Zᵀ, hence "T".
        blas.sgemm("T", "N", bn, qn, dim, 1.0f, bank, b0 * dim, dim, q, q0 * dim, dim, 0.0f, g, 0, bn);
        for (int a = 0; a < qn; a++) {
          int query = q0 + a;
          for (int c = 0; c < bn; c++) {
            double d2 = q2[query] + b2[b0 + c] - 2.0 * g[a * bn + c];
            offer(heaps, query * k, k, Math.max(d2, 0));
          }
        }
      }
    }
    for (int a = 0; a < n; a++) {
      Arrays.sort(heaps, a * k, (a + 1) * k);
      for (int r = a * k; r < (a + 1) * k; r++) {
        heaps[r] = Math.sqrt(heaps[r]);  // +∞ stays +∞
      }
    }
    return new TopK(n, k, heaps);
  }

  /** Replaces the heap's maximum by {@code d} when smaller, then sifts down. */
  private static void offer(double[] heap, int base, int k, double d) {
    if (!(d < heap[base])) {
      return;
    }
    int i = 0;
    while (true) {
      int left = 2 * i + 1;
      if (left >= k) {
        break;
      }
      int right = left + 1;
      int big = right < k && heap[base + right] > heap[base + left] ? right : left;
      if (heap[base + big] <= d) {
        break;
      }
      heap[base + i] = heap[base + big];
      i = big;
    }
    heap[base + i] = d;
  }

  /** The k smallest of the union of both results, per query. */
  public TopK merge(TopK other) {
    Check.argument(other.n == n && other.k == k,
        "cannot merge top-k of %s queries, k=%s into %s queries, k=%s", other.n, other.k, n, k);
    double[] out = new double[n * k];
    for (int a = 0; a < n; a++) {
      int i = a * k;
      int j = a * k;
      for (int r = 0; r < k; r++) {
        out[a * k + r] = distances[i] <= other.distances[j] ? distances[i++] : other.distances[j++];
      }
    }
    return new TopK(n, k, out);
  }

  public int queries() {
    return n;
  }

  public int k() {
    return k;
  }

  /** The r-th smallest distance (0-based) of query a; +∞ when fewer than r + 1 bank rows were seen. */
  public double distance(int a, int r) {
    return distances[a * k + r];
  }

  /** The distance to the k-th nearest bank row for each query (+∞ when fewer than k rows were seen). */
  public double[] kthDistances() {
    double[] out = new double[n];
    for (int a = 0; a < n; a++) {
      out[a] = distances[a * k + k - 1];
    }
    return out;
  }
}
