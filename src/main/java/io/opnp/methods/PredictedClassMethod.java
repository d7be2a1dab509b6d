package io.opnp.methods;

import io.opnp.math.LinearHead;

/** The shape of fDBD, NCI and SHE: the head's logits, the predicted class ĉ, then a score of (h, f, ĉ). */
abstract class PredictedClassMethod implements OodMethod {
  private static final long serialVersionUID = 1L;

  final LinearHead head;

  PredictedClassMethod(LinearHead head) {
    this.head = head;
  }

  /** The score of the row at {@code h[hAt…]} with logits {@code f[fAt…]} and predicted class {@code top}. */
  abstract double score(double[] h, int hAt, double[] f, int fAt, int top);

  @Override
  public final int dim() {
    return head.dim();
  }

  @Override
  public final void score(Batch batch, double[] out) {
    double[] features = batch.features();
    double[] logits = batch.logits(head);
    int c = head.classes();
    int d = head.dim();
    for (int k = 0; k < batch.size(); k++) {
      out[k] = score(features, k * d, logits, k * c, argmax(logits, k * c, c));
    }
  }

  /** The index of the largest of {@code length} values from {@code offset} (the first on ties). */
  static int argmax(double[] v, int offset, int length) {
    int best = 0;
    for (int i = 1; i < length; i++) {
      if (v[offset + i] > v[offset + best]) {
        best = i;
      }
    }
    return best;
  }
}
