package io.opnp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import io.opnp.BadInputException;
import java.nio.FloatBuffer;

/**
 * Turns an {@link ImageBatch} into the model's input tensor and its {@code (features, logits)}
 * output into Java arrays, checking the model contract's shapes. Arrays live in the predictor
 * context's manager and are freed when {@code predict} returns.
 */
final class BatchTranslator implements NoBatchifyTranslator<ImageBatch, ModelOutput> {
  private final String modelName;

  BatchTranslator(String modelName) {
    this.modelName = modelName;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, ImageBatch batch) {
    Shape shape = new Shape(batch.n(), batch.channels(), batch.height(), batch.width());
    NDArray x = ctx.getNDManager().create(FloatBuffer.wrap(batch.data(), 0, batch.length()), shape);
    if (batch.type() != DataType.FLOAT32) {
      x = x.toType(batch.type(), false);
    }
    ctx.setAttachment("n", batch.n());
    return new NDList(x);
  }

  @Override
  public ModelOutput processOutput(TranslatorContext ctx, NDList list) {
    int n = (Integer) ctx.getAttachment("n");
    if (list.size() != 2) {
      throw new BadInputException(String.format(
          "model %s returned %d output(s) %s; the contract is forward(x) -> (features [N,D], logits [N,C]). "
              + "Wrap the network so that forward returns that tuple (see README, 'Model contract').",
          modelName, list.size(), shapes(list)));
    }
    NDArray h = list.get(0);
    NDArray f = list.get(1);
    if (h.getShape().dimension() != 2 || f.getShape().dimension() != 2
        || h.getShape().get(0) != n || f.getShape().get(0) != n) {
      throw new BadInputException(String.format(
          "model %s returned shapes %s for a batch of %d images; expected (features [%d,D], logits [%d,C]). "
              + "Flatten the features before the last linear layer and return them first.",
          modelName, shapes(list), n, n, n));
    }
    return new ModelOutput(toFloat(h), toFloat(f), n, (int) h.getShape().get(1), (int) f.getShape().get(1));
  }

  private static float[] toFloat(NDArray a) {
    return a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
  }

  private static String shapes(NDList list) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < list.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(list.get(i).getShape());
    }
    return sb.append(']').toString();
  }
}
