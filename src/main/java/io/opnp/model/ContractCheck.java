package io.opnp.model;

import io.opnp.BadInputException;
import io.opnp.math.LinearHead;

/** Checks on the first batch that the model's logits are its head applied to its features. */
public final class ContractCheck {
  /** Relative tolerance on {@code |f − (W h + b)|}, relative to {@code max(1, max|f|)}. */
  public static final double TOLERANCE = 1e-4;

  private ContractCheck() {}

  /**
   * The tolerance for a model computing in {@code type}: float32's, or what the half types' 8
   * (bf16) and 11 (fp16) mantissa bits allow after a sum over D products; a wrong layer is off by
   * far more.
   */
  public static double tolerance(ai.djl.ndarray.types.DataType type) {
    if (type == ai.djl.ndarray.types.DataType.BFLOAT16) {
      return 5e-2;
    }
    return type == ai.djl.ndarray.types.DataType.FLOAT16 ? 1e-2 : TOLERANCE;
  }

  public static void verify(String modelName, LinearHead head, ModelOutput out, String weightName, String biasName) {
    verify(modelName, head, out, weightName, biasName, TOLERANCE);
  }

  public static void verify(String modelName, LinearHead head, ModelOutput out, String weightName, String biasName,
                            double tolerance) {
    if (out.dim() != head.dim() || out.classes() != head.classes()) {
      throw new BadInputException(String.format(
          "model %s returned features of width %d and %d logits, but '%s' is %dx%d; the first output must be "
              + "the input of the last linear layer and the second its output (or pass --weight-param/--bias-param)",
          modelName, out.dim(), out.classes(), weightName, head.classes(), head.dim()));
    }
    ModelOutput.NonFinite bad = out.firstNonFinite();
    if (bad != null) {
      throw new BadInputException("model " + modelName + " returned a non-finite value " + bad
          + " on the first batch; check the model and its input preprocessing");
    }
    int n = out.n();
    double[] h = new double[n * out.dim()];
    for (int i = 0; i < h.length; i++) {
      h[i] = out.features()[i];
    }
    double[] expected = new double[n * out.classes()];
    head.logits(h, n, expected);
    double scale = 1;
    for (int i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(out.logits()[i]));
    }
    double worst = 0;
    int at = 0;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs(out.logits()[i] - expected[i]);
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    if (worst > tolerance * scale) {
      throw new BadInputException(String.format(
          "model %s breaks the contract logits = %s · features + %s: sample %d, class %d differs by %.3g "
              + "(relative %.3g > %.0e). Return (features, logits) where features is the input of that last "
              + "linear layer, or name the right layer with --weight-param/--bias-param.",
          modelName, weightName, biasName, at / out.classes(), at % out.classes(), worst, worst / scale, tolerance));
    }
  }
}
