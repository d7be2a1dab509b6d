package io.opnp.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.opnp.BadInputException;
import io.opnp.math.LinearHead;
import java.util.ArrayList;
import java.util.List;

/** Reads the last linear layer's W and b from a TorchScript module's named parameters. */
public final class HeadReader {
  private HeadReader() {}

  public static LinearHead read(Model model, String weightName, String biasName) {
    NDArray w = null;
    NDArray b = null;
    List<String> candidates = new ArrayList<>();
    for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
      NDArray a = p.getValue().getArray();
      if (p.getKey().equals(weightName)) {
        w = a;
      } else if (p.getKey().equals(biasName)) {
        b = a;
      }
      if (a.getShape().dimension() == 2) {
        candidates.add(p.getKey() + " " + a.getShape());
      }
    }
    String where = "model " + model.getName();
    if (w == null || b == null) {
      throw new BadInputException(String.format(
          "%s has no parameter named '%s'; pass the last linear layer's names with --weight-param and "
              + "--bias-param (2-D parameters in this model: %s)",
          where, w == null ? weightName : biasName, candidates));
    }
    Shape ws = w.getShape();
    Shape bs = b.getShape();
    if (ws.dimension() != 2 || bs.dimension() != 1 || bs.get(0) != ws.get(0)) {
      throw new BadInputException(String.format(
          "%s: '%s' %s and '%s' %s are not a linear layer's weight [C,D] and bias [C]; "
              + "pass the last linear layer's names with --weight-param and --bias-param",
          where, weightName, ws, biasName, bs));
    }
    int classes = (int) ws.get(0);
    int dim = (int) ws.get(1);
    try {
      return new LinearHead(classes, dim, toDouble(w), toDouble(b));
    } catch (IllegalArgumentException e) {
      throw new BadInputException(where + ": " + e.getMessage() + " in '" + weightName + "'; the model's last layer "
          + "must have finite weights", e);
    }
  }

  private static double[] toDouble(NDArray x) {
    // fp16/bf16/fp64 checkpoints are read through float32, the precision the model computes in at most.
    float[] a = x.getDataType() == DataType.FLOAT32 ? x.toFloatArray() : x.toType(DataType.FLOAT32, false).toFloatArray();
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }
}
