package io.opnp.detect;

import java.io.Serializable;

/**
 * The model a detector was fitted on: its file name, SHA-256 and the names of its last layer's weight and bias.
 */
public record ModelIdentity(String name, String sha256, String weightParam, String biasParam) implements Serializable {
  public ModelIdentity {
    io.opnp.math.Check.argument(sha256 != null && !sha256.isBlank(), "a detector's model needs its SHA-256, got %s",
        sha256);
  }
}
