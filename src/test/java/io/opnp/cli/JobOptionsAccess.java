package io.opnp.cli;

import java.nio.file.Path;

/** Test access to the CLI's model hashing. */
public final class JobOptionsAccess {
  private JobOptionsAccess() {}

  public static String sha256(Path file) {
    return JobOptions.sha256(file);
  }
}
