package io.opnp.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.BadInputException;
import io.opnp.numerics.Deviation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;

/**
 * A model card's golden outputs: features and logits of a few fixed inputs, computed by PyTorch
 * when the model was exported ({@code src/main/python/make_golden_outputs.py}). The card is the
 * JSON file beside the model with the same stem ({@code M.pt} → {@code M.json}); when it holds a
 * {@code "golden"} object, the model's outputs on this machine are checked against it at load.
 */
public record GoldenOutputs(Path card, int[] inputShape, float[] inputs, float[] features, int dim, float[] logits,
                            int classes, double tolerance, String madeWith) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The card beside {@code model} with golden outputs, if there is one. */
  public static Optional<GoldenOutputs> find(Path model) {
    Path card = cardFor(model);
    if (!Files.isRegularFile(card)) {
      return Optional.empty();
    }
    JsonNode root;
    try {
      root = JSON.readTree(card.toFile());
    } catch (IOException e) {
      throw new BadInputException("model card " + card + " is not valid JSON (" + e.getMessage() + "); fix or remove it");
    }
    JsonNode g = root.path("golden");
    if (g.isMissingNode()) {
      return Optional.empty();
    }
    try {
      int[] in = shape(g.path("inputs"));
      int[] h = shape(g.path("features"));
      int[] f = shape(g.path("logits"));
      if (in.length != 4 || h.length != 2 || f.length != 2 || h[0] != in[0] || f[0] != in[0]) {
        throw new IllegalArgumentException("shapes must be inputs [N,C,H,W], features [N,D], logits [N,C]");
      }
      double tolerance = g.path("tolerance").asDouble(1e-3);
      if (!(tolerance > 0 && tolerance <= 0.1)) {
        throw new IllegalArgumentException("tolerance " + g.path("tolerance") + " is outside (0, 0.1]: 0 fails every "
            + "machine, a large one checks nothing");
      }
      return Optional.of(new GoldenOutputs(card, in, floats(g.path("inputs"), in), floats(g.path("features"), h), h[1],
          floats(g.path("logits"), f), f[1], tolerance, g.path("made_with").asText("unknown")));
    } catch (RuntimeException e) {
      throw new BadInputException("model card " + card + ": its \"golden\" object is malformed (" + e.getMessage()
          + "); regenerate it with src/main/python/make_golden_outputs.py or remove it");
    }
  }

  /** The card's path for a model file: the same stem with .json ({@code M.pt} → {@code M.json}). */
  public static Path cardFor(Path model) {
    String name = model.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return model.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".json");
  }

  public int n() {
    return inputShape[0];
  }

  /**
   * The largest deviation of the model's outputs from the golden ones, over the first min(N, n)
   * rows (the rest of a padded batch is not the card's); a wrong shape is bad input.
   */
  public Deviation compare(ModelOutput out, String modelName) {
    if (out.dim() != dim || out.classes() != classes) {
      throw new BadInputException(String.format("model %s returns features of width %d and %d logits but its card %s "
          + "holds golden outputs of width %d and %d: the card belongs to another model", modelName, out.dim(),
          out.classes(), card, dim, classes));
    }
    int rows = Math.min(n(), out.n());
    return Deviation.of(out.features(), features, rows * dim).max(Deviation.of(out.logits(), logits, rows * classes));
  }

  private static int[] shape(JsonNode t) {
    JsonNode s = t.path("shape");
    if (!s.isArray() || s.isEmpty()) {
      throw new IllegalArgumentException("a tensor without a shape");
    }
    int[] out = new int[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.get(i).asInt();
      if (out[i] <= 0) {
        throw new IllegalArgumentException("shape " + s + " has a non-positive size");
      }
    }
    return out;
  }

  private static float[] floats(JsonNode t, int[] shape) {
    long count = 1;
    for (int s : shape) {
      count *= s;
    }
    byte[] raw = Base64.getDecoder().decode(t.path("float32_le_base64").asText(""));
    if (raw.length != count * 4) {
      throw new IllegalArgumentException("a tensor of shape " + java.util.Arrays.toString(shape) + " holds "
          + raw.length + " bytes, not " + count * 4);
    }
    float[] out = new float[(int) count];
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }
}
