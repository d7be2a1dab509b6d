package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;
import java.util.List;

/**
 * Scoring with the methods of {@link Method}: by name, and a batch by several at once.
 */
public final class OodMethods {
  /** Every method name, in table order. */
  public static final List<String> NAMES = Method.NAMES;

  private OodMethods() {}

  /** {@link Method#build} of the method named {@code name}. */
  public static OodMethod create(String name, LinearHead head, FeatureStats stats, MethodOptions options) {
    return Method.parse(name).build(head, stats, options);
  }

  /**
   * Scores a batch with several methods: {@code out[m][k]} is method m's score of row k. Methods
   * that read one head's logits ({@link FromLogits}) share one logits product per head; KNN methods
   * that share a bank share one distance pass, at the largest k (the k-th smallest of the same
   * distances is the same number). Each equals its own {@link OodMethod#score} bit for bit.
   */
  public static void scoreAll(List<OodMethod> methods, double[] features, int n, double[][] out) {
    Check.argument(out.length == methods.size(), "need %s output rows, got %s", methods.size(), out.length);
    java.util.Map<KnnBank, Integer> kmax = new java.util.IdentityHashMap<>();
    for (OodMethod m : methods) {
      if (m instanceof Knn knn) {
        kmax.merge(knn.bank(), knn.k(), Math::max);
      }
    }
    java.util.Map<KnnBank, TopK> nearest = new java.util.IdentityHashMap<>();
    java.util.Map<LinearHead, double[]> logits = new java.util.IdentityHashMap<>();
    for (int i = 0; i < methods.size(); i++) {
      OodMethod m = methods.get(i);
      LinearHead shared = m instanceof FromLogits fl ? fl.logitsHead() : null;
      if (shared != null) {
        double[] f = logits.computeIfAbsent(shared, h -> {
          Check.capacity(features, (long) n * h.dim(), "features");
          double[] l = new double[n * h.classes()];
          h.logits(features, n, l);
          return l;
        });
        ((FromLogits) m).scoreFromLogits(features, f, n, out[i]);
      } else if (m instanceof Knn knn) {
        TopK t = nearest.computeIfAbsent(knn.bank(), b -> TopK.of(b, features, n, kmax.get(b)));
        System.arraycopy(Knn.scores(t, knn.k()), 0, out[i], 0, n);
      } else {
        m.score(features, n, out[i]);
      }
    }
  }
}
