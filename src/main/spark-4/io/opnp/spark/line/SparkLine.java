package io.opnp.spark.line;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.spark.SparkFiles;
import org.apache.spark.sql.SparkSession;

/**
 * What differs between the Spark lines this project builds for, one class per line (this is the
 * Spark 4 / Scala 2.13 one; src/main/spark-3.5 holds the other). Everything else compiles
 * unchanged against both.
 */
public final class SparkLine {
  private SparkLine() {}

  /**
   * Ships a file to the executors of {@code spark}'s jobs, where {@code SparkFiles.get} finds it.
   * Spark 4 isolates each session's artifacts (spark.sql.artifact.isolation.enabled, on by
   * default): a query's tasks fetch only the files added under their session's artifact state,
   * so a plain {@code SparkContext.addFile} would never reach them. The file is therefore added
   * with the session's state active, as Spark's own ArtifactManager adds a session's files.
   */
  public static void addFile(SparkSession spark, String path) {
    ((org.apache.spark.sql.classic.SparkSession) spark).artifactManager().withResources(() -> {
      spark.sparkContext().addFile(path);
      return null;
    });
  }

  /**
   * On an executor: where a file {@link #addFile added} by the driver was fetched to. Spark 4
   * fetches a session's files into {@code <root>/<session UUID>/}, but a task's thread does not
   * carry that UUID for {@code SparkFiles.get}, so the session folders are searched too. The
   * project ships files under names unique by content, so whichever folder holds the name holds
   * the bytes (and they are checked against the driver's SHA-256 anyway).
   */
  public static Path shippedFile(String name) {
    Path direct = Paths.get(SparkFiles.get(name));
    if (Files.isRegularFile(direct)) {
      return direct;
    }
    try (DirectoryStream<Path> sessions = Files.newDirectoryStream(Paths.get(SparkFiles.getRootDirectory()),
        Files::isDirectory)) {
      for (Path session : sessions) {
        Path file = session.resolve(name);
        if (Files.isRegularFile(file)) {
          return file;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list Spark's file folder " + SparkFiles.getRootDirectory(), e);
    }
    return direct;  // nowhere: the caller names what did not arrive
  }

  /** Spark's error condition of {@code t} (e.g. {@code FAILED_READ_FILE.NO_HINT}), or null when it has none. */
  public static String errorCondition(Throwable t) {
    return t instanceof org.apache.spark.SparkThrowable st ? st.getCondition() : null;
  }
}
