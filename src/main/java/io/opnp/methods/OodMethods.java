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
   * Scores a batch with several methods: {@code out[m][k]} is method m's score of row k. What several
   * of them derive from the rows is computed once ({@link Batch}): each head's product and logits,
   * the rows' descending order, the shared Mahalanobis distances, one distance pass per KNN bank at
   * the largest k asked of it. Each equals its own {@link OodMethod#score} bit for bit.
   */
  public static void scoreAll(List<OodMethod> methods, double[] features, int n, double[][] out) {
    Check.argument(out.length == methods.size(), "need %s output rows, got %s", methods.size(), out.length);
    if (methods.isEmpty()) {
      return;
    }
    scoreAll(methods, new Batch(features, n, methods.get(0).dim()), out);
  }

  /** {@link #scoreAll(List, double[], int, double[][])} on a batch (which then holds what they shared). */
  public static void scoreAll(List<OodMethod> methods, Batch batch, double[][] out) {
    Check.argument(out.length == methods.size(), "need %s output rows, got %s", methods.size(), out.length);
    prepare(methods, batch);
    for (int i = 0; i < methods.size(); i++) {
      Check.capacity(out[i], batch.size(), "scores output");
      methods.get(i).score(batch, out[i]);
    }
  }

  /**
   * Tells the batch what it can only know with every method in view: how deep each KNN bank's one
   * distance pass must go (the largest k asked of it). {@link #scoreAll} calls it; call it before
   * scoring methods one by one on a shared batch.
   */
  public static void prepare(List<OodMethod> methods, Batch batch) {
    java.util.Map<KnnBank, Integer> depth = new java.util.IdentityHashMap<>();
    for (OodMethod m : methods) {
      Check.argument(m.dim() == batch.dim(), "method %s reads features of dimension %s, not %s", m.name(), m.dim(),
          batch.dim());
      for (OodMethod part : m instanceof Fusion f ? f.members() : List.of(m)) {
        if (part instanceof Knn knn) {
          depth.merge(knn.bank(), knn.k(), Math::max);
        }
      }
    }
    depth.forEach((bank, k) -> batch.shared(new Knn.Depth(bank), () -> k));
  }
}
