package io.opnp.model;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * The precision a model computes in. TorchScript modules cannot be cast after export (DJL's
 * {@code PtSymbolBlock.cast} is not implemented), so mixed precision comes with the model: export
 * it in fp16 ({@code model.half()}), or in bf16 with a first line that casts the float32 input
 * ({@code x.to(torch.bfloat16)}: DJL 0.33 cannot create bf16 tensors), or with {@code torch.autocast}
 * inside forward. The job feeds float16 to fp16 models and float32 to all others; it reads every
 * output back as float32 and sums in float64. {@link #AUTO} accepts the model as exported; an
 * explicit value is checked against the model's parameters, because a mismatch would otherwise
 * surface deep inside libtorch.
 */
public enum Precision {
  AUTO(null), FP32(DataType.FLOAT32), FP16(DataType.FLOAT16), BF16(DataType.BFLOAT16);

  private final DataType type;

  Precision(DataType type) {
    this.type = type;
  }

  /** The input dtype for a model whose floating parameters are of {@code modelType}. */
  public DataType inputType(DataType modelType, String modelName) {
    if (this != AUTO && type != modelType) {
      String export = this == BF16 ? "model.to(torch.bfloat16) with forward starting x = x.to(torch.bfloat16)"
          : this == FP16 ? "model.half()" : "model.float()";
      throw new io.opnp.BadInputException("--precision " + name().toLowerCase(Locale.ROOT)
          + " (setPrecision in the ML API) asks for a " + type + " model but " + modelName + " has " + modelType
          + " parameters; use --precision auto, or export the model in that precision (" + export
          + " before torch.jit.trace; see README, 'ImageNet scale, GPUs and mixed precision')");
    }
    return modelType == DataType.FLOAT16 ? DataType.FLOAT16 : DataType.FLOAT32;
  }
}
