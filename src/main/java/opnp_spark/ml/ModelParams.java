package opnp_spark.ml;

import io.opnp.BadInputException;
import io.opnp.data.Preprocess;
import io.opnp.spark.InferenceConfig;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;

/**
 * The parameters of every stage that runs the model: the model file and its last layer, preprocessing, the engine,
 * and the input columns, as Spark MLlib shares one Params trait between an Estimator and its Model. Default methods
 * are public no-argument methods returning a Param, which is how Spark's {@code Params.params} finds them.
 */
public interface ModelParams extends Params {
  /** The Param objects of one stage, owned by it. */
  final class Holder implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Param<String> modelPath;
    final Param<String> weightParam;
    final Param<String> biasParam;
    final IntArrayParam inputShape;
    final DoubleArrayParam mean;
    final DoubleArrayParam std;
    final IntParam resizeShorter;
    final Param<String> resampling;
    final LongParam maxImagePixels;
    final IntParam batchSize;
    final DoubleParam temperature;
    final IntParam torchThreads;
    final IntParam decodeThreads;
    final Param<String> precision;
    final Param<String> imageCol;
    final Param<String> idCol;
    final Param<String> labelCol;
    final Param<String> scoreCol;
    final Param<String> predictionCol;

    Holder(Params uid) {
      modelPath = new Param<String>(uid, "modelPath", "TorchScript (.pt, run on libtorch) or ONNX (.onnx, run on ONNX Runtime) file whose forward returns (features [N,D], logits [N,C])");
      weightParam = new Param<String>(uid, "weightParam", "name of the last linear layer's weight parameter");
      biasParam = new Param<String>(uid, "biasParam", "name of the last linear layer's bias parameter");
      inputShape = new IntArrayParam(uid, "inputShape", "model input channels, height, width");
      mean = new DoubleArrayParam(uid, "mean", "per-channel mean subtracted after scaling pixels to [0,1] (empty: none)");
      std = new DoubleArrayParam(uid, "std", "per-channel std divided by after the mean (empty: none)");
      resizeShorter = new IntParam(uid, "resizeShorter", "shorter side before the centre crop (0: resize to the input)",
          ParamValidators.gtEq(0));
      resampling = new Param<String>(uid, "resampling", "how images are resized: bilinear (no antialiasing) or pil "
          + "(PIL's antialiased bilinear, as torchvision's Resize on PIL images)",
          ParamValidators.inArray(new String[] {"bilinear", "pil"}));
      maxImagePixels = new LongParam(uid, "maxImagePixels", "refuse images whose header announces more pixels "
          + "than this, before decoding them (decompression bombs)", ParamValidators.gt(0));
      batchSize = new IntParam(uid, "batchSize", "images per model call", ParamValidators.gt(0));
      temperature = new DoubleParam(uid, "temperature", "energy temperature T", ParamValidators.gt(0));
      torchThreads = new IntParam(uid, "torchThreads", "libtorch intra-op threads per executor JVM", ParamValidators.gt(0));
      decodeThreads = new IntParam(uid, "decodeThreads", "image-decode threads per executor JVM (0: one per core)",
          ParamValidators.gtEq(0));
      precision = new Param<String>(uid, "precision", "model input type: auto (the model's own), fp32, fp16 or bf16",
          ParamValidators.inArray(new String[] {"auto", "fp32", "fp16", "bf16"}));
      imageCol = new Param<String>(uid, "imageCol", "column with the encoded image: binary or struct<bytes, path>");
      idCol = new Param<String>(uid, "idCol", "optional column identifying each image in error messages");
      labelCol = new Param<String>(uid, "labelCol", "optional integer label column; labels, where present, must be in [0, C)");
      scoreCol = new Param<String>(uid, "scoreCol", "output column for the OOD score (higher = more in-distribution)");
      predictionCol = new Param<String>(uid, "predictionCol", "output column for the predicted class");
    }
  }

  Holder opnpParams();

  default Param<String> modelPath() {
    return opnpParams().modelPath;
  }

  default Param<String> weightParam() {
    return opnpParams().weightParam;
  }

  default Param<String> biasParam() {
    return opnpParams().biasParam;
  }

  default IntArrayParam inputShape() {
    return opnpParams().inputShape;
  }

  default DoubleArrayParam mean() {
    return opnpParams().mean;
  }

  default DoubleArrayParam std() {
    return opnpParams().std;
  }

  default IntParam resizeShorter() {
    return opnpParams().resizeShorter;
  }

  default Param<String> resampling() {
    return opnpParams().resampling;
  }

  default LongParam maxImagePixels() {
    return opnpParams().maxImagePixels;
  }

  default IntParam batchSize() {
    return opnpParams().batchSize;
  }

  default DoubleParam temperature() {
    return opnpParams().temperature;
  }

  default IntParam torchThreads() {
    return opnpParams().torchThreads;
  }

  default IntParam decodeThreads() {
    return opnpParams().decodeThreads;
  }

  default Param<String> precision() {
    return opnpParams().precision;
  }

  default Param<String> imageCol() {
    return opnpParams().imageCol;
  }

  default Param<String> idCol() {
    return opnpParams().idCol;
  }

  default Param<String> labelCol() {
    return opnpParams().labelCol;
  }

  /** Sets the defaults of the shared parameters on a new stage. */
  static void setDefaults(ModelParams p) {
    Holder h = p.opnpParams();
    p.setDefault(h.weightParam, "fc.weight");
    p.setDefault(h.biasParam, "fc.bias");
    p.setDefault(h.inputShape, new int[] {1, 28, 28});
    p.setDefault(h.mean, new double[0]);
    p.setDefault(h.std, new double[0]);
    p.setDefault(h.resizeShorter, 0);
    p.setDefault(h.resampling, "bilinear");
    p.setDefault(h.maxImagePixels, Preprocess.DEFAULT_MAX_IMAGE_PIXELS);
    p.setDefault(h.batchSize, 256);
    p.setDefault(h.temperature, 1.0);
    p.setDefault(h.torchThreads, 1);
    p.setDefault(h.decodeThreads, 0);
    p.setDefault(h.precision, "auto");
    p.setDefault(h.imageCol, "image");
    p.setDefault(h.idCol, "id");
    p.setDefault(h.labelCol, "label");
  }

  /** The executors' inference settings from these parameters. */
  default InferenceConfig inferenceConfig() {
    if (!isDefined(modelPath())) {
      throw new BadInputException(
          "modelPath is not set; call setModelPath with a TorchScript .pt or an ONNX .onnx file");
    }
    String model = $(modelPath());
    if (io.opnp.io.Storage.file(model, io.opnp.io.Storage.conf()) == null) {
      throw new BadInputException("model file " + model + " does not exist; set modelPath to a TorchScript .pt or an "
          + "ONNX .onnx file "
          + "(a local path or a Hadoop URI)");
    }
    int[] shape = $(inputShape());
    if (shape.length != 3) {
      throw new BadInputException("inputShape needs channels, height, width; got " + shape.length + " value(s)");
    }
    double[] m = $(mean());
    double[] s = $(std());
    Preprocess pre;
    try {
      pre = new Preprocess(shape[0], shape[1], shape[2], m.length == 0 ? null : toFloat(m),
          s.length == 0 ? null : toFloat(s), (Integer) $(resizeShorter()), (Long) $(maxImagePixels()),
          Preprocess.Resampling.parse($(resampling())));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("bad preprocessing parameters: " + e.getMessage(), e);
    }
    return new InferenceConfig(io.opnp.io.ModelStaging.stage(model, io.opnp.io.Storage.conf()),
        $(weightParam()), $(biasParam()), pre, (Integer) $(batchSize()), (Integer) $(torchThreads()),
        (Double) $(temperature()), false, (Integer) $(decodeThreads()),
        io.opnp.model.Precision.valueOf(((String) $(precision())).toUpperCase(java.util.Locale.ROOT)));
  }

  private static float[] toFloat(double[] a) {
    float[] f = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      f[i] = (float) a[i];
    }
    return f;
  }
}
