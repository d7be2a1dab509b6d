package io.opnp.cli;

import io.opnp.BadInputException;
import io.opnp.data.Preprocess;
import io.opnp.spark.InferenceConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the jobs that run the model. */
final class JobOptions {
  @Option(names = "--master", description = "Spark master URL; default: spark-submit's, else local[*]")
  String master;

  @Option(names = "--model", required = true, description = "TorchScript (.pt) or ONNX (.onnx) file whose forward "
      + "returns (features [N,D], logits [N,C]): a local path or a Hadoop URI (hdfs://, s3a://, abfss://, dbfs:/); its card M.json beside it "
      + "travels with it")
  String model;

  @Option(names = "--weight-param", defaultValue = "fc.weight", description = "name of the last linear layer's weight (default: ${DEFAULT-VALUE})")
  String weightParam;

  @Option(names = "--bias-param", defaultValue = "fc.bias", description = "name of the last linear layer's bias (default: ${DEFAULT-VALUE})")
  String biasParam;

  @Option(names = "--input-shape", defaultValue = "1,28,28", split = ",", description = "model input channels,height,width (default: ${DEFAULT-VALUE})")
  int[] inputShape;

  @Option(names = "--mean", split = ",", description = "per-channel mean subtracted after scaling pixels to [0,1] (default: none)")
  float[] mean;

  @Option(names = "--std", split = ",", description = "per-channel std divided by after --mean (default: none)")
  float[] std;

  @Option(names = "--resize-shorter", defaultValue = "0", description = "resize the shorter side to this "
      + "length and centre-crop to --input-shape (ImageNet: 256 with 3,224,224); 0 resizes straight to the input size")
  int resizeShorter;

  @Option(names = "--resampling", defaultValue = "bilinear", description = "how images are resized: bilinear (no "
      + "antialiasing, as OpenCV) or pil (PIL's antialiased bilinear, as torchvision's Resize on PIL images: use it for "
      + "models evaluated that way, most ImageNet models); default: ${DEFAULT-VALUE}")
  String resampling;

  @Option(names = "--batch-size", defaultValue = "256", description = "images per model call (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--temperature", defaultValue = "1.0", description = "energy temperature T (default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(names = "--torch-threads", defaultValue = "1", description = "libtorch intra-op threads per executor JVM; Spark runs one task per core (default: ${DEFAULT-VALUE})")
  int torchThreads;

  @Option(names = "--decode-threads", defaultValue = "0", description = "threads per executor JVM that decode and "
      + "resize images while the model runs; 0 = one per core (default: ${DEFAULT-VALUE})")
  int decodeThreads;

  @Option(names = "--precision", defaultValue = "auto", description = "model input type: auto (the model's own "
      + "parameter type), fp32, fp16 or bf16; for mixed precision export the model in that type "
      + "(README, 'ImageNet scale, GPUs and mixed precision')")
  String precision;

  @Option(names = "--limit", description = "use at most this many images of each dataset (default: all)")
  Integer limit;

  @Option(names = "--partitions", defaultValue = "0", description = "partitions for datasets read on the driver (IDX); 0 = Spark's default parallelism")
  int partitions;

  @Option(names = "--overwrite", description = "replace existing outputs (default: refuse)")
  boolean overwrite;

  enum BadImagePolicy { fail, skip }

  @Option(names = "--on-bad-image", defaultValue = "fail", description = "what an unreadable image does: fail "
      + "the job (default) or skip it, counted in the summary, metrics.json and (score) the scores' status column")
  BadImagePolicy onBadImage;

  @Option(names = "--max-image-pixels", defaultValue = "89478485", description = "refuse an image whose header "
      + "announces more pixels than this, before decoding it: an unreadable image under --on-bad-image. The default "
      + "is PIL's decompression-bomb limit; decoding takes about 15 bytes of heap per pixel in each decode thread, "
      + "1.3 GB at this size (default: ${DEFAULT-VALUE})")
  long maxImagePixels;

  int limitOrAll() {
    if (limit != null && limit <= 0) {
      throw new BadInputException("--limit must be positive, got " + limit);
    }
    return limit == null ? Integer.MAX_VALUE : limit;
  }

  InferenceConfig inference() {
    if (inputShape.length != 3) {
      throw new BadInputException("--input-shape needs channels,height,width, got " + inputShape.length + " value(s)");
    }
    if (batchSize <= 0) {
      throw new BadInputException("--batch-size must be positive, got " + batchSize);
    }
    if (decodeThreads < 0) {
      throw new BadInputException("--decode-threads must be >= 0 (0 = one per core), got " + decodeThreads);
    }
    if (maxImagePixels <= 0) {
      throw new BadInputException("--max-image-pixels must be positive, got " + maxImagePixels);
    }
    io.opnp.model.Precision prec;
    try {
      prec = io.opnp.model.Precision.valueOf(precision.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--precision must be auto, fp32, fp16 or bf16, got '" + precision + "'", e);
    }
    Preprocess pre;
    try {
      pre = new Preprocess(inputShape[0], inputShape[1], inputShape[2], mean, std, resizeShorter, maxImagePixels,
          Preprocess.Resampling.parse(resampling));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("bad preprocessing options: " + e.getMessage(), e);
    }
    return new InferenceConfig(stage(model), weightParam, biasParam, pre,
        batchSize, torchThreads, temperature, onBadImage == BadImagePolicy.skip, decodeThreads, prec);
  }

  static String sha256(Path file) {
    return io.opnp.io.Hashes.sha256(file);
  }

  /** The model from wherever it lives, staged in this JVM and identified by its SHA-256. */
  static io.opnp.io.ModelRef stage(String location) {
    if (io.opnp.io.Storage.file(location, io.opnp.io.Storage.conf()) == null) {
      throw new BadInputException("model file " + location + " does not exist; pass a TorchScript .pt or an ONNX .onnx "
          + "file (a local path or a Hadoop URI) with --model");
    }
    return io.opnp.io.ModelStaging.stage(location, io.opnp.io.Storage.conf());
  }
}
