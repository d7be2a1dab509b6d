package io.opnp.cli;

import io.opnp.BadInputException;
import io.opnp.data.DatasetSpec;
import io.opnp.detect.DetectJob;
import io.opnp.spark.ProgressReporter;
import io.opnp.spark.Sessions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "detect", mixinStandardHelpOptions = true,
    description = "Score new data with a saved detector (evaluate's OUTPUT/detector): per image ood_score, "
        + "ood_pvalue, is_ood, prediction (Parquet), and per dataset the OOD rate against the expected rate.")
final class DetectCommand implements Callable<Integer> {
  @Mixin
  DetectorOptions run;

  @Option(names = "--input", required = true, description = "data to score, NAME=FORMAT:PATH; repeat for several")
  List<String> inputs = new ArrayList<>();

  @Option(names = "--output", required = true, description = "directory for scores/, summary.json, summary.md")
  String output;

  @Option(names = "--on-bad-image", defaultValue = "fail", description = "fail (default) or skip: skipped images get "
      + "null scores and are counted in the summary")
  JobOptions.BadImagePolicy onBadImage;

  @Option(names = "--limit", description = "at most this many images per input (default: all)")
  Integer limit;

  @Option(names = "--partitions", defaultValue = "0", description = "partitions for inputs read on the driver (IDX)")
  int partitions;

  @Option(names = "--overwrite", description = "replace existing outputs (default: refuse)")
  boolean overwrite;

  @Override
  public Integer call() {
    if (limit != null && limit <= 0) {
      throw new BadInputException("--limit must be positive, got " + limit);
    }
    List<DatasetSpec> specs = new ArrayList<>();
    for (String s : inputs) {
      DatasetSpec spec = DatasetSpec.parse(s);
      if (specs.stream().anyMatch(x -> x.name().equals(spec.name()))) {
        throw new BadInputException("dataset name '" + spec.name() + "' is used twice; give every input a distinct name");
      }
      specs.add(spec);
    }
    long start = System.nanoTime();
    SparkSession spark = Sessions.getOrCreate(run.master, "opnp-detect");
    List<DetectJob.DatasetSummary> out;
    try (ProgressReporter progress = new ProgressReporter(spark, Long.getLong("opnp.progress.seconds", 10))) {
      DetectorOptions.Loaded loaded = run.load(spark, onBadImage == JobOptions.BadImagePolicy.skip);
      out = DetectJob.on(spark, loaded.detector(), loaded.cfg()).inputs(specs)
          .limit(limit == null ? Integer.MAX_VALUE : limit).partitions(partitions).output(output, overwrite).execute();
      for (DetectJob.DatasetSummary s : out) {
        System.out.printf(Locale.ROOT, "opnp detect: %s: %d of %d images flagged OOD (%.2f %%, 95 %% interval "
                + "%.2f–%.2f %%; in-distribution data: %.2f %%)%s%s%n", s.dataset(), s.flagged(), s.scored(),
            100 * s.flaggedShare(), 100 * s.interval().lower(), 100 * s.interval().upper(), 100 * s.expected(),
            s.images() > s.scored() ? "; " + (s.images() - s.scored()) + " unreadable image(s) skipped" : "",
            s.unlikeInDistribution() ? " — shifted" : "");
      }
    }
    System.out.printf(Locale.ROOT, "opnp detect: ok; output %s (scores/, summary.json, summary.md); wall %.1f s%n",
        output, (System.nanoTime() - start) / 1e9);
    return 0;
  }
}
