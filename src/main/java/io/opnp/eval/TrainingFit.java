package io.opnp.eval;

import io.opnp.BadInputException;
import io.opnp.math.FloatRanks;
import io.opnp.math.LinearHead;
import io.opnp.methods.FeatureStats;
import io.opnp.methods.TrainingSums;
import io.opnp.methods.FittedState;
import io.opnp.methods.GuideBank;
import io.opnp.methods.KnnBank;
import io.opnp.methods.VimSubspace;
import io.opnp.spark.FeatureRows;
import io.opnp.spark.FirstById;
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
 * ReAct's activation percentiles (exact, {@link FloatRanks}) and a KNN bank: the whole training set
 * where it fits, else a seeded uniform sample ({@link #bankRows}).
 */
final class TrainingFit {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrainingFit.class);
  static final int BATCH = 512;
  /** The auto bank's budget: its float64 rows are broadcast to, and held by, every executor. */
  static final long AUTO_BANK_BYTES = 1L << 30;
  static final String BANK_SEED = "opnp-knn-bank-20231127";
  static final String GUIDE_SEED = "opnp-nnguide-bank-20231127";

  /**
   * How many training rows go into the KNN bank: all {@code trainingRows} when {@code requested} is
   * 0 (auto) and they fit {@link #AUTO_BANK_BYTES}, else as many as fit; a positive {@code
   * requested} caps it.
   */
  static int bankRows(long trainingRows, int requested, int dim) {
    long cap = requested > 0 ? requested : AUTO_BANK_BYTES / (8L * dim);
    return (int) Math.min(Math.min(trainingRows, cap), Integer.MAX_VALUE / Math.max(1, dim));
  }

  /**
   * The KNN bank: every training row when they all fit, else a uniform sample of {@code rows} of
   * them, the same for a given set of ids whatever the partitioning (the rows whose seeded SHA-256
   * of the id is smallest). k is then scaled by the sampling ratio ({@link KnnBank#scaledK}).
   */
  static KnnBank bank(Dataset<Row> train, long trainingRows, int rows, int d) {
    if (rows >= trainingRows) {
      FirstById.Rows all = FirstById.features(train, rows, d);
      return KnnBank.of(all.features(), all.count(), d);
    }
    FirstById.Rows sample = sample(train, rows, d, BANK_SEED);
    return KnnBank.sampled(sample.features(), sample.count(), d, trainingRows);
  }

  private TrainingFit() {}

  /** The fitted state of every method but the sensitivity (added by evaluate: {@link FittedState#withSensitivity}). */
  static FittedState run(JavaSparkContext jsc, Dataset<Row> train, LinearHead head, double[] reactPercents,
                         int bankSize, StageTimes times) {
    int c = head.classes();
    int d = head.dim();
    TrainingSums sums = times.time("training statistics", StageTimes.Where.EXECUTORS, () -> {
      Stages.describe(jsc, "opnp evaluate: training-feature statistics");
      int partitions = train.rdd().getNumPartitions();
      // Each partition yields its own sums, so a reduce needs no zero value: treeAggregate's would be shipped in
      // every task (about 120 MB at 2048 x 1000) and merged into once more per partition. Merged in partition
      // order: the statistics, and every score built on them, must not depend on which task finished first.
      return partitions == 0 ? new TrainingSums(c, d) : io.opnp.spark.OrderedReduce.reduce(
          train.javaRDD().mapPartitions(new StatsPartition(c, d)), TrainingSums::merge);
    });
    if (sums.count() == 0) {
      throw new BadInputException("the feature cache has no training images for the training set; check --train "
          + "(or rebuild the cache without --reuse-features)");
    }
    TrainingSums.Result training = sums.result();
    FeatureStats stats = training.features();
    double[] thresholds = times.time("ReAct percentiles", StageTimes.Where.EXECUTORS,
        () -> percentiles(jsc, train, reactPercents, d));
    VimSubspace vim = times.time("ViM principal space (eigen-decomposition)", StageTimes.Where.DRIVER,
        () -> VimSubspace.fit(head, stats, 0));
    double residualSum = times.time("ViM residuals", StageTimes.Where.EXECUTORS, () -> {
      Broadcast<VimSubspace> vimB = jsc.broadcast(vim);
      try {
        Stages.describe(jsc, "opnp evaluate: ViM residual norms of the training features");
        Double sum = io.opnp.spark.OrderedReduce.reduce(train.javaRDD().mapPartitions(new ResidualPartition(vimB, d)),
            Double::sum);
        return sum == null ? 0.0 : sum;
      } finally {
        vimB.destroy();
      }
    });
    int bankRows = bankRows(stats.count(), bankSize, d);
    KnnBank bank = times.time("KNN bank", StageTimes.Where.EXECUTORS, () -> bank(train, stats.count(), bankRows, d));
    if (bank.size() < stats.count()) {
      LOG.info("KNN bank: a seeded uniform sample of {} of the {} training rows (alpha {}), k scaled by alpha as the "
          + "KNN paper does", bank.size(), stats.count(), String.format(java.util.Locale.ROOT, "%.4f", bank.fraction()));
    }
    int guideRows = guideRows(stats.count());
    GuideBank guides = times.time("NNGuide bank", StageTimes.Where.EXECUTORS, () -> {
      FirstById.Rows g = sample(train, guideRows, d, GUIDE_SEED);
      return GuideBank.of(g.features(), g.count(), head);
    });
    return FittedState.builder().training(training).react(reactPercents, thresholds)
        .vim(vim, residualSum / stats.count()).bank(bank).guides(guides).build();
  }

  /** NNGuide's bank: α = 1 % of the training rows (the paper's), at least 200 (OpenOOD's one batch), at most all. */
  static int guideRows(long trainingRows) {
    return (int) Math.min(trainingRows, Math.max(200, Math.round(0.01 * trainingRows)));
  }

  /** {@code rows} training rows: the ones whose SHA-256 of {@code seed:id} is smallest, whatever the partitioning. */
  static FirstById.Rows sample(Dataset<Row> train, int rows, int d, String seed) {
    Dataset<Row> keyed = train.withColumn("id", org.apache.spark.sql.functions.sha2(org.apache.spark.sql.functions
        .concat(org.apache.spark.sql.functions.lit(seed + ":"), org.apache.spark.sql.functions.col("id")), 256));
    return FirstById.features(keyed, rows, d);
  }

  /**
   * Exact percentiles of every training activation (N × D values, as {@code np.percentile}), by two
   * counting passes on the executors ({@link FloatRanks}): no value is collected or sorted.
   */
  static double[] percentiles(JavaSparkContext jsc, Dataset<Row> train, double[] percents, int d) {
    Stages.describe(jsc, "opnp evaluate: ReAct activation percentiles (1/2: high bits)");
    Dataset<Row> features = train.select("features");
    int depth = Stages.treeDepth(features.rdd().getNumPartitions());
    FloatRanks.High high = features.javaRDD().mapPartitions(new RankPartition<>(d, FloatRanks.High::new,
        (acc, f, n) -> acc.add(f, n))).treeAggregate(new FloatRanks.High(), FloatRanks.High::merge,
        FloatRanks.High::merge, depth);
    int[] buckets = FloatRanks.buckets(high, FloatRanks.ranks(percents, high.count()));
    Stages.describe(jsc, "opnp evaluate: ReAct activation percentiles (2/2: low bits in " + buckets.length
        + " buckets)");
    FloatRanks.Low low = features.javaRDD().mapPartitions(new RankPartition<>(d,
        () -> new FloatRanks.Low(buckets), (acc, f, n) -> acc.add(f, n))).treeAggregate(new FloatRanks.Low(buckets),
        FloatRanks.Low::merge, FloatRanks.Low::merge, depth);
    return FloatRanks.percentiles(high, low, percents);
  }

  /** Adds a batch of n feature rows (n × D values) into a partition's counts. */
  interface AddBatch<A> extends java.io.Serializable {
    void add(A acc, double[] features, int values);
  }

  /** One partition's counts of one radix pass. */
  static final class RankPartition<A> implements FlatMapFunction<Iterator<Row>, A> {
    private static final long serialVersionUID = 1L;
    private final int dim;
    private final org.apache.spark.api.java.function.Function0<A> zero;
    private final AddBatch<A> add;

    RankPartition(int dim, org.apache.spark.api.java.function.Function0<A> zero, AddBatch<A> add) {
      this.dim = dim;
      this.zero = zero;
      this.add = add;
    }

    @Override
    public Iterator<A> call(Iterator<Row> rows) throws Exception {
      A acc = zero.call();
      double[] f = new double[BATCH * dim];
      for (int n = FeatureRows.fill(rows, BATCH, dim, 0, f, null, null); n > 0;
           n = FeatureRows.fill(rows, BATCH, dim, 0, f, null, null)) {
        add.add(acc, f, n * dim);
      }
      return Collections.singletonList(acc).iterator();
    }
  }

  static final class StatsPartition implements FlatMapFunction<Iterator<Row>, TrainingSums> {
    private static final long serialVersionUID = 1L;
    private final int classes;
    private final int dim;

    StatsPartition(int classes, int dim) {
      this.classes = classes;
      this.dim = dim;
    }

    @Override
    public Iterator<TrainingSums> call(Iterator<Row> rows) {
      TrainingSums acc = new TrainingSums(classes, dim);
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
