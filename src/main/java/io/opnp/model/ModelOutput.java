package io.opnp.model;

/** What the model returned for a batch: features h (n×D) and logits f (n×C), row-major float32. */
public record ModelOutput(float[] features, float[] logits, int n, int dim, int classes) {
  /** A non-finite value: which output, the sample's row in the batch, the column, the value. */
  public record NonFinite(String output, int row, int column, float value) {
    /** As users read it, e.g. {@code features[3][17]=NaN}. */
    @Override
    public String toString() {
      return output + "[" + row + "][" + column + "]=" + value;
    }
  }

  /** The first non-finite value, features before logits, or null when all are finite. */
  public NonFinite firstNonFinite() {
    for (int i = 0; i < n * dim; i++) {
      if (!Float.isFinite(features[i])) {
        return new NonFinite("features", i / dim, i % dim, features[i]);
      }
    }
    for (int i = 0; i < n * classes; i++) {
      if (!Float.isFinite(logits[i])) {
        return new NonFinite("logits", i / classes, i % classes, logits[i]);
      }
    }
    return null;
  }
}
