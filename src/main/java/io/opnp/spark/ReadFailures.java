package io.opnp.spark;

import io.opnp.spark.line.SparkLine;

/**
 * Whether a failure is an input file's content (corrupt, truncated, of another schema) rather than the job's, by the
 * exceptions' types and Spark's error conditions, never their message text. One place for the CLI's exit codes,
 * dataset reading and the streaming monitor's quarantine.
 */
public final class ReadFailures {
  private ReadFailures() {}

  /** Whether any link of the cause chain is a failure to read a corrupt or truncated input file. */
  public static boolean hasCorruptFile(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (isCorruptFile(c)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Spark's error conditions for a file it could not read. Spark 4 names them {@code FAILED_READ_FILE.*}; Spark 3.5
   * has {@code CANNOT_READ_FILE_FOOTER} and two legacy ids: 2063 (a Parquet column of another type) and 2064 (any
   * failure of a task reading a file, "Encountered error while reading file").
   */
  private static final java.util.Set<String> READ_CONDITIONS = java.util.Set.of("CANNOT_READ_FILE_FOOTER",
      "_LEGACY_ERROR_TEMP_2063", "_LEGACY_ERROR_TEMP_2064");

  /** This link alone: checksum and Parquet failures, and Spark's wrappers of a failure to read a file. */
  public static boolean isCorruptFile(Throwable c) {
    if (c instanceof org.apache.hadoop.fs.ChecksumException
        || c instanceof org.apache.parquet.ParquetRuntimeException
        || c instanceof org.apache.spark.sql.execution.datasources.SchemaColumnConvertNotSupportedException) {
      return true;
    }
    String condition = SparkLine.errorCondition(c);
    return condition != null && (condition.startsWith("FAILED_READ_FILE") || READ_CONDITIONS.contains(condition));
  }
}
