package io.opnp.spark;

import io.opnp.data.ImageSchema;
import java.io.Serializable;
import org.apache.spark.sql.Row;

/**
 * Where a row keeps its encoded image, id, label and dataset name: the jobs' {@link ImageSchema},
 * or a user's DataFrame in the ML API (image as binary or as struct&lt;bytes, …&gt;; id, label and
 * dataset columns optional).
 */
public record RowLayout(String imageCol, boolean imageIsStruct, String idCol, String labelCol, String datasetCol,
                        String datasetName) implements Serializable {

  public static final RowLayout STANDARD =
      new RowLayout(ImageSchema.IMAGE, false, ImageSchema.ID, ImageSchema.LABEL, ImageSchema.DATASET, null);

  byte[] image(Row r) {
    if (imageIsStruct) {
      Row s = (Row) get(r, imageCol);
      return s == null ? null : s.getAs("bytes");
    }
    return (byte[]) get(r, imageCol);
  }

  String id(Row r, long position) {
    Object id = idCol == null ? null : get(r, idCol);
    return id != null ? id.toString() : "#" + position;
  }

  Long label(Row r) {
    Object v = labelCol == null ? null : get(r, labelCol);
    return v == null ? null : ((Number) v).longValue();
  }

  String dataset(Row r) {
    return datasetCol == null ? datasetName : (String) get(r, datasetCol);
  }

  /** By name; rows that lost their schema on the way (plain RDD rows) are in ImageSchema's order. */
  private static Object get(Row r, String name) {
    return r.schema() != null ? r.get(r.fieldIndex(name)) : r.get(ImageSchema.SCHEMA.fieldIndex(name));
  }
}
