package opnp_spark.ml;

import io.opnp.BadInputException;
import java.util.Arrays;
import org.apache.spark.sql.types.StructType;

/** The input-column checks the stages share. */
final class Columns {
  private Columns() {}

  /** Fails naming the column unless it is an array of numbers (features or logits). */
  static void requireNumberArray(StructType schema, String column) {
    if (!Arrays.asList(schema.fieldNames()).contains(column)) {
      throw new BadInputException("the DataFrame has no column '" + column + "' (columns: "
          + Arrays.asList(schema.fieldNames()) + ")");
    }
    if (!(schema.apply(column).dataType() instanceof org.apache.spark.sql.types.ArrayType a)
        || !(a.elementType() instanceof org.apache.spark.sql.types.NumericType)) {
      throw new BadInputException("column '" + column + "' must be an array of numbers, got "
          + schema.apply(column).dataType().simpleString());
    }
  }

  /** Fails naming the columns there are unless the DataFrame has the image column. */
  static void requireImage(StructType schema, String imageCol) {
    if (!Arrays.asList(schema.fieldNames()).contains(imageCol)) {
      throw new BadInputException("the DataFrame has no image column '" + imageCol + "' (columns: "
          + Arrays.asList(schema.fieldNames()) + "); set imageCol");
    }
  }
}
