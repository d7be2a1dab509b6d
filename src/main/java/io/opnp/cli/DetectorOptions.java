package io.opnp.cli;

import io.opnp.BadInputException;
import io.opnp.detect.DetectJob;
import io.opnp.detect.Detector;
import io.opnp.detect.DetectorBundle;
import io.opnp.spark.InferenceConfig;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/** Options of the commands that run a saved detector (detect, monitor): which detector, which model, how to run it. */
final class DetectorOptions {
  @Option(names = "--master", description = "Spark master URL; default: spark-submit's, else local[*]")
  String master;

  @Option(names = "--detector", required = true, description = "the detector/ directory opnp evaluate wrote")
  String detector;

  @Option(names = "--model", required = true, description = "the TorchScript file the detector was made with "
      + "(checked by SHA-256): a local path or a Hadoop URI")
  String model;

  @Option(names = "--batch-size", defaultValue = "256", description = "images per model call (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--torch-threads", defaultValue = "1", description = "libtorch threads per executor JVM (default: ${DEFAULT-VALUE})")
  int torchThreads;

  @Option(names = "--decode-threads", defaultValue = "0", description = "image-decode threads per executor JVM, 0 = one per core")
  int decodeThreads;

  /** The saved detector and the model as it needs it (its preprocessing), before anything runs. */
  record Loaded(Detector detector, InferenceConfig cfg) {}

  Loaded load(SparkSession spark, boolean skipBadImages) {
    if (io.opnp.io.Storage.file(model, spark.sparkContext().hadoopConfiguration()) == null) {
      throw new BadInputException("model file " + model + " does not exist; pass the TorchScript file the detector "
          + "was made with");
    }
    if (batchSize <= 0) {
      throw new BadInputException("--batch-size must be positive, got " + batchSize);
    }
    if (torchThreads <= 0 || decodeThreads < 0) {
      throw new BadInputException("--torch-threads must be positive and --decode-threads >= 0, got " + torchThreads
          + " and " + decodeThreads);
    }
    Detector d = DetectorBundle.load(spark, detector);
    return new Loaded(d, DetectJob.config(d, JobOptions.stage(model), batchSize,
        torchThreads, skipBadImages, decodeThreads));
  }
}
