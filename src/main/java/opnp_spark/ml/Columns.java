package opnp_spark.ml;

import io.opnp.BadInputException;
import java.util.Arrays;
import org.apache.spark.sql.types.StructType;

/** The input-column checks the stages share. */
final class Columns {
  private Columns() {}

  /** Fails naming the columns there are unless the DataFrame has the image column. */
  static void requireImage(StructType schema, String imageCol) {
    if (!Arrays.asList(schema.fieldNames()).contains(imageCol)) {
      throw new BadInputException("the DataFrame has no image column '" + imageCol + "' (columns: "
          + Arrays.asList(schema.fieldNames()) + "); set imageCol");
    }
  }
}
