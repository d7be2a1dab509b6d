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

  @Option(names = "--train", required = true, description = "training set as name=format:path (format idx, parquet or folder)")
  String train;

  @Option(names = "--output", required = true, description = "directory for the sensitivity Parquet")
  String output;

  @Override
  public Integer call() {
    long start = System.nanoTime();
    DatasetSpec spec = DatasetSpec.parse(train);
    InferenceConfig cfg = job.inference();
    SparkSession spark = Sessions.getOrCreate(job.master, "opnp-sensitivity");
    Outputs.checkWritable(spark.sparkContext().hadoopConfiguration(), output, job.overwrite);
    SensitivityJob.Outcome outcome;
    try (ProgressReporter progress = new ProgressReporter(spark, Long.getLong("opnp.progress.seconds", 10))) {
      Dataset<Row> data = DatasetReader.read(spark, spec, job.limitOrAll(), job.partitions);
      outcome = SensitivityJob.fit(spark, cfg, data);
      SensitivityStore.save(spark, outcome.sensitivity(), output, job.overwrite);
    }
    Sensitivity s = outcome.sensitivity();
    System.out.printf("opnp sensitivity: ok; train %s, m=%d images (%d unreadable skipped), C=%d, D=%d, model %s; "
            + "output %s; wall %.1f s%n", spec.name(), s.count(), outcome.skipped(), s.classes(), s.dim(),
        cfg.modelName(), output, (System.nanoTime() - start) / 1e9);
    return 0;
  }
}
