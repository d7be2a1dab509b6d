package io.opnp.spark;

import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.math.SensitivityAccumulator;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sensitivity pass: per partition, float64 sums of |∂E/∂W| and |∂E/∂h| over batches of the
 * training set; a {@code treeAggregate} adds them; dividing by m gives {@link Sensitivity}.
 */
public final class SensitivityJob {
  private static final Logger LOG = LoggerFactory.getLogger(SensitivityJob.class);

  private SensitivityJob() {}

  /** The sensitivity and how many unreadable images were skipped (0 unless skipping was asked for). */
  public record Outcome(Sensitivity sensitivity, long skipped) {}

  public static Sensitivity run(SparkSession spark, InferenceConfig cfg, Dataset<Row> train) {
    return fit(spark, cfg, train).sensitivity();
  }

  public static Outcome fit(SparkSession spark, InferenceConfig cfg, Dataset<Row> train) {
    LinearHead head = ModelHeads.checkedHead(spark, cfg, train, "training set", false);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<LinearHead> headB = jsc.broadcast(head);
    long start = System.nanoTime();
    Stages.describe(jsc, "opnp sensitivity: sum |dE/dW|, |dE/dh| over the training set");
    try {
      SensitivityAccumulator sums = train.javaRDD()
          .mapPartitions(new SensitivityPartition(cfg, headB))
          .treeAggregate(new SensitivityAccumulator(head.classes(), head.dim(), cfg.temperature()),
              SensitivityAccumulator::merge, SensitivityAccumulator::merge,
              Stages.treeDepth(train.rdd().getNumPartitions()));
      double secs = (System.nanoTime() - start) / 1e9;
      LOG.info("sensitivity: {} training images in {} s ({} img/s){}", sums.count(), String.format("%.1f", secs),
          String.format("%.1f", sums.count() / secs),
          sums.skipped() > 0 ? "; skipped " + sums.skipped() + " unreadable image(s) (--on-bad-image=skip)" : "");
      return new Outcome(sums.result(cfg.modelName(), cfg.modelSha256()), sums.skipped());
    } finally {
      Stages.clear(jsc);
      headB.destroy();
    }
  }

  /**
   * The same sums from a feature cache ({@link FeatureCacheJob}) instead of images: the backbone
   * does not run again. Gives the numbers of {@link #fit} on the same images (≤ 1e-12 relative).
   *
   * @param cached rows of one dataset of the cache (columns features, logits)
   */
  public static Sensitivity fromFeatures(SparkSession spark, Dataset<Row> cached, LinearHead head, double temperature,
                                         String modelName, String modelSha256) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<LinearHead> headB = jsc.broadcast(head);
    Stages.describe(jsc, "opnp sensitivity from cached features");
    try {
      SensitivityAccumulator sums = cached.select("features", "logits").javaRDD()
          .mapPartitions(new CachedPartition(headB, temperature))
          .treeAggregate(new SensitivityAccumulator(head.classes(), head.dim(), temperature),
              SensitivityAccumulator::merge, SensitivityAccumulator::merge,
              Stages.treeDepth(cached.rdd().getNumPartitions()));
      return sums.result(modelName, modelSha256);
    } finally {
      Stages.clear(jsc);
      headB.destroy();
    }
  }

  /** One partition of cached features and logits, in batches of 512. */
  static final class CachedPartition implements FlatMapFunction<Iterator<Row>, SensitivityAccumulator> {
    private static final long serialVersionUID = 1L;
    private static final int BATCH = 512;
    private final Broadcast<LinearHead> head;
    private final double temperature;

    CachedPartition(Broadcast<LinearHead> head, double temperature) {
      this.head = head;
      this.temperature = temperature;
    }

    @Override
    public Iterator<SensitivityAccumulator> call(Iterator<Row> rows) {
      LinearHead h = head.value();
      double[] w = h.weight();
      int d = h.dim();
      int c = h.classes();
      SensitivityAccumulator acc = new SensitivityAccumulator(c, d, temperature);
      float[] f = new float[BATCH * d];
      float[] l = new float[BATCH * c];
      for (int n = FeatureRows.fill(rows, BATCH, d, c, f, l); n > 0; n = FeatureRows.fill(rows, BATCH, d, c, f, l)) {
        acc.add(f, l, n, w);
      }
      return Collections.singletonList(acc).iterator();
    }
  }

  /** One partition's sums. Static with final fields: nothing else is captured in the closure. */
  static final class SensitivityPartition implements FlatMapFunction<Iterator<Row>, SensitivityAccumulator> {
    private static final long serialVersionUID = 1L;
    private final InferenceConfig cfg;
    private final Broadcast<LinearHead> head;

    SensitivityPartition(InferenceConfig cfg, Broadcast<LinearHead> head) {
      this.cfg = cfg;
      this.head = head;
    }

    @Override
    public Iterator<SensitivityAccumulator> call(Iterator<Row> rows) {
      LinearHead h = head.value();
      double[] w = h.weight();
      SensitivityAccumulator acc = new SensitivityAccumulator(h.classes(), h.dim(), cfg.temperature());
      try (BatchRunner runner = new BatchRunner(cfg)) {
        for (BatchRunner.Batch b = runner.next(rows); b != null; b = runner.next(rows)) {
          acc.skip(b.skipped().size());
          if (b.count() == 0) {
            continue;
          }
          ModelHeads.checkShape(cfg, h, b);
          Labels.check(b, h.classes(), false);  // labels are optional for training data
          acc.add(b.output().features(), b.output().logits(), b.output().n(), w);
        }
      }
      return Collections.singletonList(acc).iterator();
    }
  }
}
