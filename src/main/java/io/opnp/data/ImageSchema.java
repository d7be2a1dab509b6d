package io.opnp.data;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The one schema every reader produces: {@code id, image (encoded bytes), label (long; null = unlabelled), dataset}. */
public final class ImageSchema {
  public static final String ID = "id";
  public static final String IMAGE = "image";
  public static final String LABEL = "label";
  public static final String DATASET = "dataset";

  public static final StructType SCHEMA = new StructType()
      .add(ID, DataTypes.StringType, false)
      .add(IMAGE, DataTypes.BinaryType, true)
      .add(LABEL, DataTypes.LongType, true)
      .add(DATASET, DataTypes.StringType, false);

  private ImageSchema() {}
}
