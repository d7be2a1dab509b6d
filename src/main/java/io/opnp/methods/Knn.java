package io.opnp.methods;

import io.opnp.math.Check;

/**
 * Deep nearest neighbours (Sun, Ming, Zhu, Li, "Out-of-Distribution Detection with Deep Nearest
 * Neighbors", ICML 2022): exact k-NN on L2-normalized penultimate features,
 * <pre>
 *   S(x) = −‖z(x) − z_(k)‖₂,   z = h / (‖h‖ + 1e-10)
 * </pre>
 * where z_(k) is the k-th nearest normalized training feature. The authors' code (Faiss
 * {@code IndexFlatL2}) returns the squared distance, a monotone transform with the same ranking.
 * Default k = 50 (the paper's CIFAR-10 setting over the full training set; for ImageNet it uses
 * k = 1000 with the full set, k = 10 with a 1 % sample).
 *
 * <p>To distribute the bank, compute {@link TopK#of} per bank shard and {@link TopK#merge} the
 * results; {@link #scores(TopK)} turns the merged result into scores.
 */
public final class Knn implements OodMethod {
  private static final long serialVersionUID = 1L;

  /** The default number of neighbours. */
  public static final int DEFAULT_K = 50;

  private final KnnBank bank;
  private final int k;

  /** k as meant for the whole training set: a sampled bank scales it ({@link KnnBank#scaledK}). */
  Knn(KnnBank bank, int k) {
    Check.argument(bank != null, "knn needs a bank of training features");
    Check.positive(k, "k");
    int scaled = bank.scaledK(k);
    Check.argument(bank.size() >= scaled, "knn with k=%s needs at least %s bank rows, got %s", scaled, scaled,
        bank.size());
    this.bank = bank;
    this.k = scaled;
  }

  /** The distance to the k-th nearest row of one bank, per query (raw features, normalized here). */
  public static double[] kthDistances(KnnBank bank, double[] features, int n, int k) {
    return TopK.of(bank, features, n, k).kthDistances();
  }

  /** Scores {@code −d_k} from a (merged) top-k result; fails if a query saw fewer than k rows. */
  public static double[] scores(TopK topK) {
    return scores(topK, topK.k());
  }

  /** Scores {@code −d_k} for any k up to the result's own (the k-th of the same distances). */
  static double[] scores(TopK topK, int k) {
    Check.argument(k >= 1 && k <= topK.k(), "k=%s is outside [1, %s]", k, topK.k());
    double[] d = new double[topK.queries()];
    for (int a = 0; a < d.length; a++) {
      d[a] = topK.distance(a, k - 1);
      Check.argument(d[a] != Double.POSITIVE_INFINITY,
          "query %s has fewer than k=%s bank rows: the bank is smaller than k", a, k);
      d[a] = -d[a];
    }
    return d;
  }

  KnnBank bank() {
    return bank;
  }

  int k() {
    return k;
  }

  @Override
  public String name() {
    return Method.KNN.key();
  }

  @Override
  public int dim() {
    return bank.dim();
  }

  /** How deep one distance pass over a bank goes for a batch: the largest k asked of it. */
  record Depth(KnnBank bank) {}

  private record Nearest(KnnBank bank, int depth) {}

  @Override
  public void score(Batch batch, double[] out) {
    // One pass at the depth scoreAll registered for every k of this bank; a k beyond it gets its own.
    int depth = Math.max(k, batch.shared(new Depth(bank), () -> k));
    TopK nearest = batch.shared(new Nearest(bank, depth), () -> TopK.of(bank, batch.features(), batch.size(), depth));
    double[] s = scores(nearest, k);  // the k-th of the same distances, whatever the depth
    System.arraycopy(s, 0, out, 0, batch.size());
  }
}
