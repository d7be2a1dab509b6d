package io.opnp.methods;

/**
 * A method applied to L2-normalized features h/‖h‖ (Müller, Hein, "Mahalanobis++: Improving OOD
 * Detection via Feature Normalization", ICML 2025): MDS++ and RMDS++ are Mahalanobis and RMDS fitted
 * on the normalized training features and scoring normalized test features.
 */
final class Normalized implements OodMethod {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final int dim;
  private final OodMethod inner;

  Normalized(String name, int dim, OodMethod inner) {
    this.name = name;
    this.dim = dim;
    this.inner = inner;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int dim() {
    return dim;
  }

  private enum Rows { NORMALIZED }

  @Override
  public void score(Batch batch, double[] out) {
    // MDS++ and RMDS++ share the normalized rows and, through them, their class-conditional distances.
    inner.score(batch.derived(Rows.NORMALIZED, () -> TrainingSums.normalizedRows(batch.features(), batch.size(), dim)),
        out);
  }
}
