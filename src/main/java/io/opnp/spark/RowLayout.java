package io.opnp.spark;

import io.opnp.data.ImageSchema;
import io.opnp.data.ValidationProxy;
import java.io.Serializable;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * Where a row keeps its encoded image, id, label and dataset name: the jobs' {@link ImageSchema},
 * or a user's DataFrame in the ML API (image as binary or as struct&lt;bytes, …&gt;; id, label and
 * dataset columns optional); and which datasets' images are made into a validation proxy after decoding.
 *
 * @param proxies the proxy applied to each dataset's images, by dataset name (declared by the job that made the
 *     proxy datasets; a dataset not listed is used as decoded)
 */
public record RowLayout(String imageCol, boolean imageIsStruct, String idCol, String labelCol, String datasetCol,
                        String datasetName, Map<String, ValidationProxy> proxies) implements Serializable {

  public static final RowLayout STANDARD =
      new RowLayout(ImageSchema.IMAGE, false, ImageSchema.ID, ImageSchema.LABEL, ImageSchema.DATASET, null);

  public RowLayout {
    proxies = proxies == null ? Map.of() : Map.copyOf(proxies);
  }

  /** No proxies. */
  public RowLayout(String imageCol, boolean imageIsStruct, String idCol, String labelCol, String datasetCol,
                   String datasetName) {
    this(imageCol, imageIsStruct, idCol, labelCol, datasetCol, datasetName, Map.of());
  }

  /** This layout, making the images of each dataset in {@code byDataset} into its proxy. */
  public RowLayout withProxies(Map<String, ValidationProxy> byDataset) {
    return new RowLayout(imageCol, imageIsStruct, idCol, labelCol, datasetCol, datasetName, byDataset);
  }

  /** The proxy this row's image is made into, or null. */
  ValidationProxy proxy(String dataset) {
    return dataset == null ? null : proxies.get(dataset);
  }

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
