package io.opnp.io;

import io.opnp.BadInputException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where users' files live: a location is a Hadoop URI ({@code file:}, {@code hdfs://}, {@code s3a://},
 * {@code abfss://}, {@code dbfs:/}, ...) or a plain path, which means this machine's file system
 * (as it always has for the command line; on a cluster, name distributed storage by its scheme).
 * Credentials and endpoints come from the Hadoop configuration: the active Spark session's
 * ({@code spark.hadoop.*}), else the cluster's {@code core-site.xml}.
 */
public final class Storage {
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*");

  private Storage() {}

  /** The Hadoop path of a user's location; plain paths are absolute local files. */
  public static Path path(String location) {
    if (location == null || location.isBlank()) {
      throw new BadInputException("an empty path was given where a file or directory is needed");
    }
    if (SCHEME.matcher(location).matches()) {
      return new Path(location);
    }
    return new Path(new File(location).getAbsoluteFile().toURI());
  }

  /** Whether a location names something other than this machine's file system. */
  public static boolean isRemote(String location) {
    return !"file".equals(path(location).toUri().getScheme());
  }

  /** The Hadoop configuration of the active Spark session, else a default one. */
  public static Configuration conf() {
    for (scala.Option<org.apache.spark.sql.SparkSession> s : java.util.List.of(
        org.apache.spark.sql.SparkSession.getActiveSession(), org.apache.spark.sql.SparkSession.getDefaultSession())) {
      if (s.isDefined()) {
        return s.get().sparkContext().hadoopConfiguration();
      }
    }
    return new Configuration();
  }

  public static FileSystem fileSystem(Path p, Configuration conf) {
    try {
      return p.getFileSystem(conf);
    } catch (IOException | RuntimeException e) {
      throw new BadInputException("cannot reach the file system of " + p + " (" + e.getMessage() + "); check the "
          + "URI's scheme and the spark.hadoop.fs.* settings for it (README, 'Clusters and storage')", e);
    }
  }

  /** The status of a regular file, or null when there is none (absent, or a directory). */
  public static FileStatus file(String location, Configuration conf) {
    Path p = path(location);
    try {
      FileStatus s = fileSystem(p, conf).getFileStatus(p);
      return s.isFile() ? s : null;
    } catch (java.io.FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new BadInputException("cannot read " + location + ": " + e.getMessage(), e);
    }
  }

  /** A regular file's status, or bad input naming the file and {@code what} it should be. */
  public static FileStatus requireFile(String location, String what, Configuration conf) {
    FileStatus s = file(location, conf);
    if (s == null) {
      throw new BadInputException(what + " " + location + " does not exist or is not a file");
    }
    return s;
  }

  public static InputStream open(String location, Configuration conf) throws IOException {
    Path p = path(location);
    return fileSystem(p, conf).open(p);
  }

  /** The last component of a location's path. */
  public static String fileName(String location) {
    return path(location).getName();
  }

  /** A file beside {@code location} named {@code name}, in the same file system. */
  public static String sibling(String location, String name) {
    return new Path(path(location).getParent(), name).toString();
  }
}
