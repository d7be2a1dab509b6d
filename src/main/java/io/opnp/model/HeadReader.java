package io.opnp.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.opnp.BadInputException;
import io.opnp.math.LinearHead;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the last linear layer's W and b: a TorchScript module's named parameters, or an ONNX
 * graph's named initializers (from the model's file, {@link OnnxInitializers}).
 */
public final class HeadReader {
  private HeadReader() {}

  /** A named parameter as float32 values with its shape. */
  private record Param(long[] shape, float[] values) {}

  public static LinearHead read(Model model, String weightName, String biasName) {
    Map<String, Param> found = new LinkedHashMap<>();
    List<String> candidates = new ArrayList<>();
    if (LoadedModels.engine(model) == ModelEngine.ONNX_RUNTIME) {
      OnnxInitializers.Found f = OnnxInitializers.read(LoadedModels.file(model), Set.of(weightName, biasName));
      f.tensors().forEach((name, t) -> found.put(name, new Param(t.dims(), t.values())));
      candidates.addAll(f.matrices());
    } else {
      for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
        NDArray a = p.getValue().getArray();
        if (p.getKey().equals(weightName) || p.getKey().equals(biasName)) {
          found.put(p.getKey(), new Param(a.getShape().getShape(), toFloat(a)));
        }
        if (a.getShape().dimension() == 2) {
          candidates.add(p.getKey() + " " + a.getShape());
        }
      }
    }
    return head("model " + model.getName(), found.get(weightName), found.get(biasName), weightName, biasName,
        candidates);
  }

  private static LinearHead head(String where, Param w, Param b, String weightName, String biasName,
                                 List<String> candidates) {
    if (w == null || b == null) {
      throw new BadInputException(String.format(
          "%s has no parameter named '%s'; pass the last linear layer's names with --weight-param and "
              + "--bias-param (2-D parameters in this model: %s)",
          where, w == null ? weightName : biasName, candidates));
    }
    long[] ws = w.shape();
    long[] bs = b.shape();
    if (ws.length != 2 || bs.length != 1 || bs[0] != ws[0]) {
      throw new BadInputException(String.format(
          "%s: '%s' %s and '%s' %s are not a linear layer's weight [C,D] and bias [C]; "
              + "pass the last linear layer's names with --weight-param and --bias-param",
          where, weightName, Arrays.toString(ws), biasName, Arrays.toString(bs)));
    }
    try {
      return new LinearHead((int) ws[0], (int) ws[1], toDouble(w.values()), toDouble(b.values()));
    } catch (IllegalArgumentException e) {
      throw new BadInputException(where + ": " + e.getMessage() + " in '" + weightName + "'; the model's last layer "
          + "must have finite weights", e);
    }
  }

  private static float[] toFloat(NDArray x) {
    // fp16/bf16/fp64 checkpoints are read through float32, the precision the model computes in at most.
    return x.getDataType() == DataType.FLOAT32 ? x.toFloatArray() : x.toType(DataType.FLOAT32, false).toFloatArray();
  }

  private static double[] toDouble(float[] a) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }
}
