package io.opnp.cli;

import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.io.Outputs;
import io.opnp.io.SensitivityStore;
import io.opnp.math.Sensitivity;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.ProgressReporter;
import io.opnp.spark.SensitivityJob;
import io.opnp.spark.Sessions;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sensitivity", mixinStandardHelpOptions = true,
    description = "Average |dE/dW| and |dE/dh| over the training set and save them as Parquet.")
final class SensitivityCommand implements Callable<Integer> {
  @Mixin
  JobOptions job;

  @Option(names = "--train", description = "training set as name=format:path (format idx, parquet or folder)")
  String train;

  @Option(names = "--from-features", description = "an evaluate run's feature cache to read instead of running the "
      + "model; with --dataset, the name of the training set in it")
  String fromFeatures;

  @Option(names = "--dataset", description = "with --from-features: which cached dataset is the training set")
  String dataset;

  @Option(names = "--cache-features", description = "also write the training set's feature cache (id, label, "
      + "features, logits) here, from the same model pass; later jobs can start from it with --from-features")
  String cacheFeatures;

  @Option(names = "--output", required = true, description = "directory for the sensitivity Parquet")
  String output;

  @Override
  public Integer call() {
    long start = System.nanoTime();
    if ((train == null) == (fromFeatures == null) || (fromFeatures != null && dataset == null)) {
      throw new io.opnp.BadInputException("give either --train name=format:path, or --from-features DIR with "
          + "--dataset NAME");
    }
    if (fromFeatures != null && cacheFeatures != null) {
      throw new io.opnp.BadInputException("--cache-features writes a cache from images; it cannot be combined with "
          + "--from-features, which reads one");
    }
    InferenceConfig cfg = job.inference();
    SparkSession spark = Sessions.getOrCreate(job.master, "opnp-sensitivity");
    Outputs.checkWritable(spark.sparkContext().hadoopConfiguration(), output, job.overwrite);
    if (fromFeatures != null) {
      Sensitivity s;
      try (ProgressReporter progress = new ProgressReporter(spark, Long.getLong("opnp.progress.seconds", 10))) {
        io.opnp.math.LinearHead head = io.opnp.model.HeadReader.read(io.opnp.spark.ExecutorModels.model(cfg),
            cfg.weightParam(), cfg.biasParam());
        Dataset<Row> rows = io.opnp.spark.FeatureCacheJob.read(spark, fromFeatures)
            .where(org.apache.spark.sql.functions.col("dataset").equalTo(dataset));
        s = SensitivityJob.fromFeatures(spark, rows, head, cfg.temperature(), cfg.modelName(), cfg.modelSha256());
        SensitivityStore.save(spark, s, output, job.overwrite);
      } catch (IllegalArgumentException e) {
        throw new io.opnp.BadInputException("feature cache " + fromFeatures + ", dataset " + dataset + ": "
            + e.getMessage(), e);
      }
      System.out.printf("opnp sensitivity: ok; from cached features %s (dataset %s), m=%d, C=%d, D=%d; output %s; "
          + "wall %.1f s%n", fromFeatures, dataset, s.count(), s.classes(), s.dim(), output, (System.nanoTime() - start) / 1e9);
      return 0;
    }
    DatasetSpec spec = DatasetSpec.parse(train);
    SensitivityJob.Outcome outcome;
    try (ProgressReporter progress = new ProgressReporter(spark, Long.getLong("opnp.progress.seconds", 10))) {
      Dataset<Row> data = DatasetReader.read(spark, spec, job.limitOrAll(), job.partitions);
      if (cacheFeatures != null) {
        Outputs.checkWritable(spark.sparkContext().hadoopConfiguration(), cacheFeatures, job.overwrite);
        var fused = io.opnp.spark.FeatureCacheJob.run(spark, cfg,
            io.opnp.spark.FeatureCacheJob.Inputs.of(java.util.List.of(data)).withSensitivityOf(spec.name()),
            java.util.List.of(spec.toString()), cacheFeatures, job.overwrite);
        outcome = new SensitivityJob.Outcome(fused.sensitivity(), fused.skipped());
      } else {
        outcome = SensitivityJob.fit(spark, cfg, data);
      }
      SensitivityStore.save(spark, outcome.sensitivity(), output, job.overwrite);
    }
    Sensitivity s = outcome.sensitivity();
    System.out.printf("opnp sensitivity: ok; train %s, m=%d images (%d unreadable skipped), C=%d, D=%d, model %s; "
            + "output %s%s; wall %.1f s%n", spec.name(), s.count(), outcome.skipped(), s.classes(), s.dim(),
        cfg.modelName(), output, cacheFeatures == null ? "" : ", feature cache " + cacheFeatures,
        (System.nanoTime() - start) / 1e9);
    return 0;
  }
}
