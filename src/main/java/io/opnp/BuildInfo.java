package io.opnp;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What this jar is: the project's version and the Spark line it was built for, as Maven wrote them
 * at build time. The Python package compares them with its own on first use.
 */
public final class BuildInfo {
  private static final Properties PROPS = load();

  private BuildInfo() {}

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
      if (in == null) {
        throw new IllegalStateException("io/opnp/build.properties is missing from the jar: build it with Maven");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  /** The project's version, e.g. 0.1.0-SNAPSHOT. */
  public static String version() {
    return PROPS.getProperty("version");
  }

  /** The Spark line the jar was built for: 3.5 or 4. */
  public static String sparkLine() {
    return PROPS.getProperty("spark.line");
  }

  /** The Scala binary version of that line: 2.12 or 2.13. */
  public static String scalaBinaryVersion() {
    return PROPS.getProperty("scala.binary.version");
  }

  /** The Spark version the jar was compiled against. */
  public static String compiledAgainstSpark() {
    return PROPS.getProperty("spark.version");
  }
}
