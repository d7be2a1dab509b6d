package io.opnp.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** What a model's card (M.json beside M.pt or M.onnx) says about where the model came from. */
public final class ModelCards {
  private ModelCards() {}

  /**
   * The SHA-256 of the model this one was exported from (the card's {@code exported_from.sha256},
   * written by src/main/python/export_onnx.py), if the card says so: the ONNX export of a
   * TorchScript model has the same weights, so a detector fitted on one runs on the other.
   */
  public static Optional<String> exportedFrom(Path model) {
    Path card = GoldenOutputs.cardFor(model);
    if (!Files.isRegularFile(card)) {
      return Optional.empty();
    }
    try {
      JsonNode sha = new ObjectMapper().readTree(card.toFile()).path("exported_from").path("sha256");
      return sha.isTextual() && sha.asText().matches("[0-9a-f]{64}") ? Optional.of(sha.asText()) : Optional.empty();
    } catch (IOException e) {
      throw new io.opnp.BadInputException("model card " + card + " is not valid JSON (" + e.getMessage()
          + "); fix or remove it");
    }
  }
}
