package io.opnp.data;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;

/**
 * A cheap check of one arriving Parquet shard, made on the driver before any task reads it: its
 * footer (which a half-written or foreign file lacks) and the image column. Damage deeper in the data
 * pages shows only when the rows are read.
 */
public final class ParquetShards {
  private ParquetShards() {}

  /** Why the shard at {@code path} cannot be scored, or null when its footer and columns are fine. */
  public static String problem(Configuration conf, String path, String imageColumn) {
    MessageType schema;
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(path), conf))) {
      schema = r.getFooter().getFileMetaData().getSchema();
    } catch (IOException | RuntimeException e) {
      return "not a readable Parquet file (" + firstLine(e) + ")";
    }
    if (!schema.containsField(imageColumn)) {
      return "has no column '" + imageColumn + "' (columns: " + schema.getFields().stream()
          .map(org.apache.parquet.schema.Type::getName).toList() + ")";
    }
    return null;
  }

  /** The first line of the deepest message of a failure, as a reason to show. */
  public static String firstLine(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getClass().getSimpleName() + ": " + c.getMessage();
    int nl = m.indexOf('\n');
    return nl > 0 ? m.substring(0, nl) : m;
  }
}
