package io.opnp.spark.line;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.spark.SparkFiles;
import org.apache.spark.sql.SparkSession;

/**
 * What differs between the Spark lines this project builds for, one class per line (this is the
 * Spark 3.5 / Scala 2.12 one; src/main/spark-4 holds the other). Everything else compiles
 * unchanged against both.
 */
public final class SparkLine {
  private SparkLine() {}

  /** Ships a file to the executors of {@code spark}'s jobs, where {@code SparkFiles.get} finds it. */
  public static void addFile(SparkSession spark, String path) {
    spark.sparkContext().addFile(path);
  }

  /** On an executor: where a file {@link #addFile added} by the driver was fetched to. */
  public static Path shippedFile(String name) {
    return Paths.get(SparkFiles.get(name));
  }

  /** Spark's error condition of {@code t} (e.g. {@code FAILED_READ_FILE.NO_HINT}), or null when it has none. */
  public static String errorCondition(Throwable t) {
    return t instanceof org.apache.spark.SparkThrowable st ? st.getErrorClass() : null;
  }
}
