package io.opnp.cluster;

import io.opnp.cli.JobOptionsAccess;
import io.opnp.data.DatasetReader;
import io.opnp.data.DatasetSpec;
import io.opnp.data.Preprocess;
import io.opnp.io.SensitivityStore;
import io.opnp.math.Sensitivity;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.SensitivityJob;
import io.opnp.spark.Sessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A notebook-like driver: one Spark application that runs the sensitivity job for a sequence of
 * models, as a user re-running cells would, so that several models pass through the same executors.
 * Arguments: master, IDX images, limit, output folder, then steps: {@code run:PATH} (a job with the
 * model at PATH, saved as {@code <output>/step-<i>}), {@code copy:FROM:TO} (replace a file) or
 * {@code delete:PATH}.
 */
public final class ModelSequenceDriver {
  private ModelSequenceDriver() {}

  public static void main(String[] args) throws Exception {
    SparkSession spark = Sessions.getOrCreate(args[0], "opnp-model-sequence");
    Dataset<Row> train = DatasetReader.read(spark, DatasetSpec.parse("fm=idx:" + args[1]), Integer.parseInt(args[2]), 2)
        .cache();
    for (int i = 4; i < args.length; i++) {
      String[] step = args[i].split(":");
      if (step[0].equals("copy")) {
        Files.copy(Path.of(step[1]), Path.of(step[2]), StandardCopyOption.REPLACE_EXISTING);
        continue;
      }
      if (step[0].equals("delete")) {
        Files.delete(Path.of(step[1]));
        continue;
      }
      InferenceConfig cfg = new InferenceConfig(JobOptionsAccess.stage(Path.of(step[1])), "fc.weight", "fc.bias",
          Preprocess.grey(28, 28), 64, 1, 1.0, false);
      Sensitivity s = SensitivityJob.run(spark, cfg, train);
      SensitivityStore.save(spark, s, args[3] + "/step-" + i, false);
      System.out.println("step " + i + ": " + step[1] + " sha256 " + cfg.modelSha256() + " m=" + s.count());
    }
    spark.stop();
  }
}
