package io.opnp.data;

/**
 * Splits the held-out ID validation images in two by a hash of their id (the same split on every run
 * and partitioning): one half chooses the detector (and is the source of the OOD proxies), the other,
 * never seen by that choice, sets its threshold and p-values, so the expected false-alarm rate is
 * not flattered by the selection.
 */
public final class ValidationSplit {
  private ValidationSplit() {}

  /** Whether this ID validation image belongs to the selection half (else to the calibration half). */
  public static boolean forSelection(String id) {
    return (ValidationProxy.seed(id) & 1L) == 0;
  }

  /** A Spark filter keeping the selection half of rows whose column 0… is named {@code id}. */
  public static final class SelectionHalf implements org.apache.spark.api.java.function.FilterFunction<
      org.apache.spark.sql.Row> {
    private static final long serialVersionUID = 1L;
    private final boolean selection;

    public SelectionHalf(boolean selection) {
      this.selection = selection;
    }

    @Override
    public boolean call(org.apache.spark.sql.Row r) {
      return forSelection(r.getAs(ImageSchema.ID)) == selection;
    }
  }
}
