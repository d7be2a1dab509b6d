package io.opnp.eval;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;

import io.opnp.BadInputException;
import io.opnp.math.LinearHead;
import io.opnp.methods.FeatureStats;
import io.opnp.methods.FeatureStatsAccumulator;
import io.opnp.methods.KnnBank;
import io.opnp.methods.VimSubspace;
import io.opnp.spark.FeatureRows;
import io.opnp.spark.Stages;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Stage 1 of evaluate: what the baselines need from the ID training features, by distributed float64
 * sums (class means, shared covariance, mean features), ViM's principal space and residual scale,
 * ReAct's activation percentiles ({@code approxQuantile}) and a KNN bank of at most
 * {@code bankSize} normalized training features.
 */
final class TrainingFit {
  static final int BATCH = 512;

  /**
   * @param reactPercentiles fractions in (0, 1); {@code reactThresholds[i]} is the activation value at
   *     {@code reactPercentiles[i]}
   */
  record Fitted(FeatureStats stats, double[] reactPercentiles, double[] reactThresholds, VimSubspace vim,
                double vimMeanResidual, KnnBank bank) {
    /** The activation value at {@code percent} (one of the fitted percentiles). */
    double reactThreshold(double percent) {
      for (int i = 0; i < reactPercentiles.length; i++) {
        if (Math.abs(100 * reactPercentiles[i] - percent) < 1e-9) {
          return reactThresholds[i];
        }
      }
      throw new IllegalArgumentException("ReAct percentile " + percent + " was not fitted");
    }
  }

  private TrainingFit() {}

  static Fitted run(JavaSparkContext jsc, Dataset<Row> train, LinearHead head, double[] reactPercents,
                    int bankSize, StageTimes times) {
    int c = head.classes();
    int d = head.dim();
    FeatureStatsAccumulator sums = times.time("training statistics", StageTimes.Where.EXECUTORS, () -> {
      Stages.describe(jsc, "opnp evaluate: training-feature statistics");
      return train.javaRDD().mapPartitions(new StatsPartition(c, d))
          .treeAggregate(new FeatureStatsAccumulator(c, d, true), FeatureStatsAccumulator::merge,
              FeatureStatsAccumulator::merge, 2);
    });
    if (sums.count() == 0) {
      throw new BadInputException("the feature cache has no training images for the training set; check --train "
          + "(or rebuild the cache without --reuse-features)");
    }
    FeatureStats stats = sums.result();
    double[] fractions = new double[reactPercents.length];
    for (int i = 0; i < fractions.length; i++) {
      fractions[i] = reactPercents[i] / 100.0;
    }
    double[] thresholds = times.time("ReAct percentiles", StageTimes.Where.EXECUTORS, () -> {
      Stages.describe(jsc, "opnp evaluate: ReAct activation percentiles");
      return train.select(explode(col("features")).as("v")).stat().approxQuantile("v", fractions, 1e-4);
    });
    VimSubspace vim = times.time("ViM principal space (eigen-decomposition)", StageTimes.Where.DRIVER,
        () -> VimSubspace.fit(head, stats, 0));
    double residualSum = times.time("ViM residuals", StageTimes.Where.EXECUTORS, () -> {
      Broadcast<VimSubspace> vimB = jsc.broadcast(vim);
      try {
        Stages.describe(jsc, "opnp evaluate: ViM residual norms of the training features");
        return train.javaRDD().mapPartitions(new ResidualPartition(vimB, d))
            .treeAggregate(0.0, Double::sum, Double::sum, 2);
      } finally {
        vimB.destroy();
      }
    });
    KnnBank bank = times.time("KNN bank", StageTimes.Where.EXECUTORS, () -> {
      EvaluateJob.Limited b = EvaluateJob.collectFeatures(train, bankSize, d);
      return KnnBank.of(b.features(), b.count(), d);
    });
    return new Fitted(stats, fractions, thresholds, vim, residualSum / stats.count(), bank);
  }

  static final class StatsPartition implements FlatMapFunction<Iterator<Row>, FeatureStatsAccumulator> {
    private static final long serialVersionUID = 1L;
    private final int classes;
    private final int dim;

    StatsPartition(int classes, int dim) {
      this.classes = classes;
      this.dim = dim;
    }

    @Override
    public Iterator<FeatureStatsAccumulator> call(Iterator<Row> rows) {
      FeatureStatsAccumulator acc = new FeatureStatsAccumulator(classes, dim, true);
      double[] f = new double[BATCH * dim];
      double[] l = new double[BATCH * classes];
      int[] y = new int[BATCH];
      for (int n = FeatureRows.fill(rows, BATCH, dim, classes, f, l, y); n > 0;
           n = FeatureRows.fill(rows, BATCH, dim, classes, f, l, y)) {
        for (int k = 0; k < n; k++) {
          if (y[k] < 0 || y[k] >= classes) {
            throw new BadInputException("a training image in the feature cache has label " + y[k]
                + " outside [0, " + classes + "); the training set needs labels for the class-conditional baselines");
          }
        }
        acc.add(f, l, y, n);
      }
      return Collections.singletonList(acc).iterator();
    }
  }

  static final class ResidualPartition implements FlatMapFunction<Iterator<Row>, Double> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<VimSubspace> vim;
    private final int dim;

    ResidualPartition(Broadcast<VimSubspace> vim, int dim) {
      this.vim = vim;
      this.dim = dim;
    }

    @Override
    public Iterator<Double> call(Iterator<Row> rows) {
      double sum = 0;
      double[] f = new double[BATCH * dim];
      for (int n = FeatureRows.fill(rows, BATCH, dim, 0, f, null, null); n > 0;
           n = FeatureRows.fill(rows, BATCH, dim, 0, f, null, null)) {
        sum += vim.value().residualNormSum(f, n);
      }
      return Collections.singletonList(sum).iterator();
    }
  }
}
