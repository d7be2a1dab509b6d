package io.opnp.spark;

import io.opnp.BadInputException;
import io.opnp.math.LinearHead;
import io.opnp.model.ContractCheck;
import io.opnp.model.HeadReader;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The driver's view of the model: its head, checked against the model's outputs on a first batch. */
final class ModelHeads {
  private ModelHeads() {}

  /**
   * Loads the model on the driver, reads W and b, runs the first batch of {@code data} and checks
   * {@code logits ≈ W·h + b}; ships the model file to executors that cannot see the driver's path.
   */
  static LinearHead checkedHead(SparkSession spark, InferenceConfig cfg, Dataset<Row> data, String what,
                                boolean labelsRequired) {
    LinearHead head = HeadReader.read(ExecutorModels.model(cfg), cfg.weightParam(), cfg.biasParam());
    // A small first batch: the check runs on the driver before the job, so it should cost little.
    InferenceConfig probe = cfg.withBatchSize(Math.min(cfg.batchSize(), 4));
    List<Row> first = data.limit(probe.batchSize()).collectAsList();
    if (first.isEmpty()) {
      throw new BadInputException("the " + what + " has no images; check its path (and, for folders, that the "
          + "images have a .png/.jpg/.jpeg/.bmp/.gif name)");
    }
    try (BatchRunner runner = new BatchRunner(probe)) {
      java.util.Iterator<Row> it = first.iterator();
      BatchRunner.Batch b = runner.next(it);
      while (b != null && b.count() == 0) {
        b = runner.next(it);
      }
      if (b == null) {
        throw new BadInputException("none of the first " + first.size() + " images of the " + what
            + " could be read; check its path and format");
      }
      ContractCheck.verify(cfg.modelName(), head, b.output(), cfg.weightParam(), cfg.biasParam(),
          ContractCheck.tolerance(runner.modelType()));
      Labels.check(b, head.classes(), labelsRequired);  // fail fast, before the whole dataset runs
    }
    ExecutorModels.ship(spark, cfg);
    return head;
  }

  static void checkShape(InferenceConfig cfg, LinearHead head, BatchRunner.Batch b) {
    if (b.output().dim() != head.dim() || b.output().classes() != head.classes()) {
      throw new BadInputException(String.format("model %s returned features of width %d and %d logits for "
              + "dataset %s at image %s, but its head is %dx%d; the model's output shape must not depend on its input",
          cfg.modelName(), b.output().dim(), b.output().classes(), b.datasets()[0], b.ids()[0],
          head.classes(), head.dim()));
    }
  }
}
