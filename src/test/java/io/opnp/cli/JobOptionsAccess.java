package io.opnp.cli;

import java.nio.file.Path;

/** Test access to the CLI's model hashing. */
public final class JobOptionsAccess {
  private JobOptionsAccess() {}

  public static String sha256(Path file) {
    return JobOptions.sha256(file);
  }

  /** The model staged as the CLI stages it (this JVM's store, identified by SHA-256). */
  public static io.opnp.io.ModelRef stage(Path file) {
    return JobOptions.stage(file.toString());
  }
}
