package io.opnp.io;

import io.opnp.math.Check;
import java.io.Serializable;

/**
 * A model's identity from the driver to every executor: where the user named it, its file name,
 * and the SHA-256 of its bytes and of its card's ({@code M.pt} → {@code M.json}, null without one).
 * Everything that locates the model elsewhere (the shipped file names, the per-JVM store) derives
 * from the hashes, never from a name two models could share.
 */
public record ModelRef(String location, String name, String sha256, String cardSha256) implements Serializable {
  public ModelRef {
    Check.argument(location != null && !location.isBlank(), "a model location is required");
    Check.argument(name != null && !name.isBlank(), "a model file name is required");
    Check.argument(sha256 != null && sha256.matches("[0-9a-f]{64}"), "a model SHA-256 is 64 hex digits, got %s",
        sha256);
    Check.argument(cardSha256 == null || cardSha256.matches("[0-9a-f]{64}"),
        "a card SHA-256 is 64 hex digits or null, got %s", cardSha256);
  }

  public boolean hasCard() {
    return cardSha256 != null;
  }

  /** The card's file name beside the model: M.pt → M.json. */
  public String cardName() {
    int dot = name.lastIndexOf('.');
    return (dot > 0 ? name.substring(0, dot) : name) + ".json";
  }

  /** 20 hex digits of the SHA-256 of both hashes: names this exact model and card pair. */
  public String key() {
    return Hashes.sha256Hex(sha256 + ":" + (cardSha256 == null ? "-" : cardSha256)).substring(0, 20);
  }

  /** The name Spark ships the model under: unique by content, so two models never collide. */
  public String shippedName() {
    return key() + "-" + name;
  }

  public String shippedCardName() {
    return key() + "-" + cardName();
  }
}
