package io.opnp.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resources of the jar copied to a new temporary folder, for libraries that load from files (DJL). */
public final class ClasspathFiles {
  private ClasspathFiles() {}

  /**
   * Copies {@code /folder/name} for each name into one new temporary directory and returns it.
   * The caller deletes it ({@link #delete}) or leaves it to the JVM's exit.
   */
  public static Path copy(String folder, String prefix, String... names) throws IOException {
    Path dir = Files.createTempDirectory(prefix);
    try {
      for (String name : names) {
        try (InputStream in = ClasspathFiles.class.getResourceAsStream("/" + folder + "/" + name)) {
          if (in == null) {
            throw new IOException("/" + folder + "/" + name + " is missing from the classpath");
          }
          Files.copy(in, dir.resolve(name));
        }
      }
      return dir;
    } catch (IOException | RuntimeException e) {
      delete(dir);
      throw e;
    }
  }

  /** Deletes a directory made by {@link #copy} with its files; returns whether everything went. */
  public static boolean delete(Path dir) {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      return Files.deleteIfExists(dir);
    } catch (IOException e) {
      return false;
    }
  }

  /** Leaves deleting {@code dir} and its files to the JVM's exit (directory last). */
  public static void deleteOnExit(Path dir) throws IOException {
    dir.toFile().deleteOnExit();
    try (var files = Files.list(dir)) {
      files.forEach(f -> f.toFile().deleteOnExit());
    }
  }
}
