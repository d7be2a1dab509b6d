package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import java.io.Serializable;

/** NNGuide's bank: guides n(h_i)·E(h_i) of sampled training rows, m×D row-major. Immutable. */
public final class GuideBank implements Serializable {
  private static final long serialVersionUID = 1L;
  private final int size;
  private final int dim;
  private final double[] guides;

  private GuideBank(int size, int dim, double[] guides) {
    this.size = size;
    this.dim = dim;
    this.guides = guides;
  }

  /** Guides from m raw training feature rows and the head that gives their energies. */
  public static GuideBank of(double[] features, int m, LinearHead head) {
    int d = head.dim();
    int c = head.classes();
    Check.capacity(features, (long) m * d, "guide features");
    double[] logits = new double[m * c];
    head.logits(features, m, logits);
    double[] g = NnGuide.normalized(features, m, d);
    for (int i = 0; i < m; i++) {
      double e = Energy.score(logits, i * c, c, 1.0);
      for (int j = 0; j < d; j++) {
        g[i * d + j] *= e;
      }
    }
    return new GuideBank(m, d, g);
  }

  /** A bank saved from {@link #guides()}. */
  public static GuideBank restore(double[] guides, int m, int dim) {
    Check.length(guides, (long) m * dim, "saved guides");
    return new GuideBank(m, dim, guides.clone());
  }

  public int size() {
    return size;
  }

  public int dim() {
    return dim;
  }

  /** The guides, m×D row-major (a copy), for saving. */
  public double[] guides() {
    return guides.clone();
  }

  /** The rows themselves, for scoring inside the package (not copied). */
  double[] rows() {
    return guides;
  }
}
