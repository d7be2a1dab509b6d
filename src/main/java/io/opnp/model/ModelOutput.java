package io.opnp.model;

/** What the model returned for a batch: features h (n×D) and logits f (n×C), row-major float32. */
public record ModelOutput(float[] features, float[] logits, int n, int dim, int classes) {
  /** First non-finite value as "features[k][j]=v" or "logits[k][i]=v", or null when all are finite. */
  public String firstNonFinite() {
    for (int i = 0; i < n * dim; i++) {
      if (!Float.isFinite(features[i])) {
        return "features[" + (i / dim) + "][" + (i % dim) + "]=" + features[i];
      }
    }
    for (int i = 0; i < n * classes; i++) {
      if (!Float.isFinite(logits[i])) {
        return "logits[" + (i / classes) + "][" + (i % classes) + "]=" + logits[i];
      }
    }
    return null;
  }
}
