package io.opnp.spark;

import io.opnp.BadInputException;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * The one reader of cached feature rows (Spark's {@code array<float>} comes back as a boxed list):
 * copies a row's features or logits into a primitive batch buffer, checking the width against the
 * head, so a cache made by another model fails with a message instead of scoring garbage.
 */
public final class FeatureRows {
  private FeatureRows() {}

  /** Copies the array column {@code field} of {@code r} (expected width {@code width}) into {@code out[offset…]}. */
  public static void copy(Row r, int field, int width, double[] out, int offset) {
    List<Float> v = r.getList(field);
    checkWidth(v, width, r, field);
    for (int j = 0; j < width; j++) {
      out[offset + j] = v.get(j);
    }
  }

  public static void copy(Row r, int field, int width, float[] out, int offset) {
    List<Float> v = r.getList(field);
    checkWidth(v, width, r, field);
    for (int j = 0; j < width; j++) {
      out[offset + j] = v.get(j);
    }
  }

  /**
   * Fills one batch of at most {@code batch} rows: features (D), logits (C, when {@code logits} is not
   * null), labels (-1 for none, when {@code labels} is not null). Returns the number of rows taken.
   */
  public static int fill(Iterator<Row> rows, int batch, int d, int c, double[] feats, double[] logits, int[] labels) {
    int n = 0;
    while (n < batch && rows.hasNext()) {
      Row r = rows.next();
      copy(r, r.fieldIndex("features"), d, feats, n * d);
      if (logits != null) {
        copy(r, r.fieldIndex("logits"), c, logits, n * c);
      }
      if (labels != null) {
        Object lab = r.get(r.fieldIndex("label"));
        labels[n] = lab == null ? -1 : ((Number) lab).intValue();
      }
      n++;
    }
    return n;
  }

  /**
   * {@link #fill(Iterator, int, int, int, double[], double[], int[])} in float32, as the model gave
   * them: features (D) and logits (C) of at most {@code batch} rows. Returns the number of rows taken.
   */
  public static int fill(Iterator<Row> rows, int batch, int d, int c, float[] feats, float[] logits) {
    int n = 0;
    while (n < batch && rows.hasNext()) {
      Row r = rows.next();
      copy(r, r.fieldIndex("features"), d, feats, n * d);
      copy(r, r.fieldIndex("logits"), c, logits, n * c);
      n++;
    }
    return n;
  }

  /** One batch of cached rows: the rows and their features (n×D row-major, the buffer may be longer). */
  public record Batch(List<Row> rows, double[] features, int n) {}

  /**
   * A partition's cached rows mapped lazily, a batch of at most {@code batch} rows at a time, so
   * memory stays bounded by the batch, not the partition: {@code map} turns each batch (features
   * from the array column {@code field}, width {@code dim}) into its output rows. The feature
   * buffer is reused from batch to batch.
   */
  public static <T> Iterator<T> mapBatches(Iterator<Row> rows, int batch, int dim, String field,
                                           java.util.function.Function<Batch, List<T>> map) {
    double[] f = new double[batch * dim];
    return new Iterator<>() {
      private Iterator<T> ready = java.util.Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!ready.hasNext() && rows.hasNext()) {
          List<Row> taken = new java.util.ArrayList<>(batch);
          while (taken.size() < batch && rows.hasNext()) {
            Row r = rows.next();
            copy(r, r.fieldIndex(field), dim, f, taken.size() * dim);
            taken.add(r);
          }
          ready = map.apply(new Batch(taken, f, taken.size())).iterator();
        }
        return ready.hasNext();
      }

      @Override
      public T next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return ready.next();
      }
    };
  }

  private static void checkWidth(List<Float> v, int width, Row r, int field) {
    if (v == null || v.size() != width) {
      String name = r.schema() == null ? "column " + field : r.schema().fieldNames()[field];
      throw new BadInputException("the feature cache holds rows of " + (v == null ? 0 : v.size()) + " " + name
          + ", but the model's head needs " + width + "; rebuild the cache with this model");
    }
  }
}
