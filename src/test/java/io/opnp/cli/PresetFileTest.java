package io.opnp.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opnp.data.Preprocess;
import io.opnp.model.Precision;
import io.opnp.spark.InferenceConfig;
import io.opnp.testing.TestData;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** conf/imagenet.args, the ImageNet preprocessing preset, read as picocli reads it on the command line. */
class PresetFileTest {
  private static InferenceConfig parse(String... extra) {
    String[] base = {"sensitivity", "@" + TestData.projectDir().resolve("conf/imagenet.args"), "--model",
        TestData.demoModel().toString(), "--train", "x=folder:/nowhere", "--output", "/tmp/none"};
    String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(extra))
        .toArray(String[]::new);
    CommandLine cli = new CommandLine(new OpnpCli());
    cli.setOverwrittenOptionsAllowed(true);
    CommandLine.ParseResult parsed = cli.parseArgs(args);
    SensitivityCommand cmd = (SensitivityCommand) parsed.subcommand().commandSpec().userObject();
    return cmd.job.inference();
  }

  @Test
  void imagenetPresetGivesTorchvisionsEvaluationTransform() {
    InferenceConfig cfg = parse();
    Preprocess p = cfg.preprocess();
    assertEquals(3, p.channels());
    assertEquals(224, p.height());
    assertEquals(224, p.width());
    assertEquals(256, p.resizeShorter());
    assertArrayEquals(new float[] {0.485f, 0.456f, 0.406f}, p.mean());
    assertArrayEquals(new float[] {0.229f, 0.224f, 0.225f}, p.std());
    assertEquals(64, cfg.batchSize());
    assertEquals(Precision.AUTO, cfg.precision());
    assertEquals(0, cfg.decodeThreads());
    assertEquals(89_478_485L, p.maxImagePixels());
  }

  @Test
  void optionsAfterThePresetOverrideIt() {
    InferenceConfig cfg = parse("--resize-shorter", "288", "--batch-size", "16", "--decode-threads", "3",
        "--precision", "fp16");
    assertEquals(288, cfg.preprocess().resizeShorter());
    assertEquals(16, cfg.batchSize());
    assertEquals(3, cfg.decodeThreads());
    assertEquals(Precision.FP16, cfg.precision());
  }

  @Test
  void maxImagePixelsReachesTheExecutorsPreprocessingAndMustBePositive() {
    assertEquals(1_000_000L, parse("--max-image-pixels", "1000000").preprocess().maxImagePixels());
    io.opnp.BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(io.opnp.BadInputException.class,
        () -> parse("--max-image-pixels", "0"));
    assertEquals("--max-image-pixels must be positive, got 0", e.getMessage());
  }
}
