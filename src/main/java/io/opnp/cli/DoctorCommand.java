package io.opnp.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.cuda.CudaUtils;
import io.opnp.EngineNumericsException;
import io.opnp.io.ClasspathFiles;
import io.opnp.model.GoldenOutputs;
import io.opnp.model.EngineGuard;
import io.opnp.model.ImageBatch;
import io.opnp.model.ModelOutput;
import io.opnp.model.Precision;
import io.opnp.model.LoadedModels;
import io.opnp.numerics.CpuInfo;
import io.opnp.numerics.NumericsStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code opnp doctor}: tells whether results will be right on this machine, and why. Prints the
 * CPU, the engine's versions, the numerics mode in force and why, the self-test's result, GPU and
 * CUDA visibility, the model's golden check and a short throughput probe. Exit 0 when results will
 * be right, 3 when they would not.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = "Check that the engine computes right on this machine: CPU, libtorch and oneDNN versions, the "
        + "numerics mode and why, the self-test, GPU/CUDA, the model's golden outputs, a throughput probe. "
        + "Exit code 0 when results will be right, 3 when not.")
final class DoctorCommand implements Callable<Integer> {
  @Option(names = "--model", description = "TorchScript model to load, check against its card's golden outputs and "
      + "time (default: the bundled demo model)")
  Path model;

  @Option(names = "--input-shape", split = ",", description = "the model's input channels,height,width for the "
      + "throughput probe (default: that of the golden inputs in the model's card, else 1,28,28)")
  int[] inputShape;

  @Option(names = "--batch-size", defaultValue = "64", description = "images per model call in the probe (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--probe-seconds", defaultValue = "3", description = "how long to time the model; 0 skips the probe "
      + "(default: ${DEFAULT-VALUE})")
  double probeSeconds;

  @Option(names = "--torch-threads", defaultValue = "1", description = "libtorch intra-op threads for the probe; the jobs run one per Spark task (default: ${DEFAULT-VALUE})")
  int torchThreads;

  @Option(names = "--brief", description = "print only the one-line summary")
  boolean brief;

  private static final org.slf4j.Logger LOG_ONNX = org.slf4j.LoggerFactory.getLogger(DoctorCommand.class);

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    LoadedModels.configureThreads(torchThreads);
    NumericsStatus status;
    try {
      status = EngineGuard.ensure();
    } catch (EngineNumericsException e) {
      status = EngineGuard.status();
      if (status == null) {
        throw e;
      }
      print(out, status, false, null, Double.NaN, e.getMessage());
      return OpnpCli.EXIT_WRONG_NUMERICS;
    }
    try {
      io.opnp.model.OnnxGuard.ensure();  // the second engine's self-test too: printed, and fatal only for ONNX models
    } catch (EngineNumericsException e) {
      LOG_ONNX.warn("{}", e.getMessage());
    }
    Path path = model != null ? model : demoModel();
    java.util.Optional<GoldenOutputs> card = GoldenOutputs.find(path);
    if (inputShape == null) {
      inputShape = card.map(g -> java.util.Arrays.copyOfRange(g.inputShape(), 1, 4)).orElse(new int[] {1, 28, 28});
    }
    if (inputShape.length != 3 || batchSize <= 0 || probeSeconds < 0) {
      throw new io.opnp.BadInputException("doctor needs --input-shape C,H,W, --batch-size > 0 and --probe-seconds >= 0; "
          + "got " + java.util.Arrays.toString(inputShape) + ", " + batchSize + ", " + probeSeconds);
    }
    String golden;
    double imagesPerSecond = Double.NaN;
    try {
      ZooModel<ImageBatch, ModelOutput> m = LoadedModels.get(path, Device.cpu());
      golden = card.isPresent() ? "reproduced" : "none in the model's card";
      if (probeSeconds > 0) {
        imagesPerSecond = probe(m, Precision.AUTO.inputType(LoadedModels.parameterType(m), path.getFileName().toString()));
      }
    } catch (EngineNumericsException e) {
      print(out, EngineGuard.status(), false, path, Double.NaN, e.getMessage());
      return OpnpCli.EXIT_WRONG_NUMERICS;
    }
    print(out, EngineGuard.status(), EngineGuard.status().passed(), path, imagesPerSecond, "golden outputs " + golden
        + "; runs on " + io.opnp.model.ModelEngine.of(path).djlName());
    return EngineGuard.status().passed() ? 0 : OpnpCli.EXIT_WRONG_NUMERICS;
  }

  private void print(PrintStream out, NumericsStatus s, boolean right, Path path, double imagesPerSecond,
                     String modelCheck) {
    out.println("opnp doctor: results will be " + (right ? "RIGHT" : "WRONG") + "; " + s.summary()
        + (io.opnp.model.OnnxGuard.status() == null ? "" : "; " + io.opnp.model.OnnxGuard.status().summary())
        + (Double.isNaN(imagesPerSecond) ? "" : String.format("; %s %.1f img/s", path.getFileName(), imagesPerSecond)));
    if (brief) {
      return;
    }
    CpuInfo cpu = s.cpu();
    out.println("  cpu:          " + cpu.describe());
    out.println("  known to trip oneDNN: " + (cpu.knownToTrip() ? "yes" : "no") + " (" + cpu.tripReason() + ")");
    out.println("  engine:       " + s.engine() + ", libtorch " + s.libtorchVersion() + " ("
        + ai.djl.pytorch.jni.LibUtils.getLibtorchPath() + "), oneDNN " + s.onednnVersion());
    if (io.opnp.model.OnnxGuard.status() != null) {
      out.println("  onnxruntime:  " + io.opnp.model.OnnxGuard.status().summary()
          + " (runs .onnx models; its own kernels, so the numerics modes below are libtorch's only)");
    }
    out.println("  numerics:     " + s.mode().id() + " = " + s.mode().description());
    out.println("  why:          " + s.reason());
    for (String step : s.steps()) {
      out.println("  step:         " + step);
    }
    out.println("  self-test:    " + (s.passed() ? "passed" : "FAILED") + String.format(
        ", largest deviation %.3g of the float64 reference (tolerance %.0e)", s.selfTest().relative(), s.tolerance()));
    out.println("  blas/lapack:  " + io.opnp.math.NativeLinearAlgebra.get().description());
    out.println("  gpu:          libtorch sees " + Engine.getEngine("PyTorch").getGpuCount() + " GPU(s); CUDA "
        + (CudaUtils.hasCuda() ? "visible (" + CudaUtils.getCudaVersionString() + ", " + CudaUtils.getGpuCount()
        + " device(s))" : "not visible"));
    if (path != null) {
      out.println("  model:        " + path + ": " + modelCheck);
    } else {
      out.println("  error:        " + modelCheck);
    }
    if (!Double.isNaN(imagesPerSecond)) {
      out.printf("  throughput:   %.1f images/s (batch %d, input %dx%dx%d, %d CPU(s), %.0f s probe)%n", imagesPerSecond,
          batchSize, inputShape[0], inputShape[1], inputShape[2], cpu.cpus(), probeSeconds);
    }
    int fix = modelCheck.indexOf("Fix: ");
    if (fix >= 0) {
      out.println("  fix:          " + modelCheck.substring(fix + 5));
    }
  }

  /** Images per second of the model on random inputs, after two warm-up batches. */
  private double probe(ZooModel<ImageBatch, ModelOutput> m, ai.djl.ndarray.types.DataType type) throws Exception {
    int c = inputShape[0];
    int h = inputShape[1];
    int w = inputShape[2];
    float[] x = new float[batchSize * c * h * w];
    Random r = new Random(1);
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat();
    }
    ImageBatch batch = new ImageBatch(x, batchSize, c, h, w, type);
    try (Predictor<ImageBatch, ModelOutput> p = m.newPredictor()) {
      p.predict(batch);  // TorchScript's profiling executor optimizes the graph after its first runs
      p.predict(batch);
      long start = System.nanoTime();
      long images = 0;
      while (System.nanoTime() - start < probeSeconds * 1e9) {
        p.predict(batch);
        images += batchSize;
      }
      return images / ((System.nanoTime() - start) / 1e9);
    }
  }

  /** The bundled demo model and its card, copied out of the jar (DJL loads models from files). */
  static Path demoModel() throws IOException {
    Path dir = ClasspathFiles.copy("demo", "opnp-demo", "fmnist-resnet.pt", "fmnist-resnet.json");
    ClasspathFiles.deleteOnExit(dir);
    return dir.resolve("fmnist-resnet.pt");
  }
}
