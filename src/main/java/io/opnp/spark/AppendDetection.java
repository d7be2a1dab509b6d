package io.opnp.spark;

import io.opnp.decision.ConformalPValues;
import io.opnp.math.Energy;
import io.opnp.methods.OodMethod;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Appends a saved detector's verdict to every row of a DataFrame of images: {@code ood_score}
 * (higher = more in-distribution), {@code ood_pvalue} (conformal, against the held-out ID scores),
 * {@code is_ood} (score below the threshold) and {@code prediction} (the model's class). Images
 * skipped under {@code --on-bad-image=skip} get nulls and their reason in {@code skip_reason}. Batch and
 * streaming DataFrames alike.
 */
public final class AppendDetection {
  public static final String SCORE = "ood_score";
  public static final String PVALUE = "ood_pvalue";
  public static final String IS_OOD = "is_ood";
  public static final String PREDICTION = "prediction";
  /** Why an image got no verdict (null for every scored image). */
  public static final String SKIP_REASON = "skip_reason";
  public static final List<String> COLUMNS = List.of(SCORE, PVALUE, IS_OOD, PREDICTION, SKIP_REASON);

  /** What a task needs to decide: the scoring method, the threshold and the calibration scores. */
  public record Scorer(OodMethod method, io.opnp.decision.DecisionRule rule) implements Serializable {}

  private AppendDetection() {}

  public static StructType schema(StructType in) {
    return in.add(SCORE, DataTypes.DoubleType, true).add(PVALUE, DataTypes.DoubleType, true)
        .add(IS_OOD, DataTypes.BooleanType, true).add(PREDICTION, DataTypes.IntegerType, true)
        .add(SKIP_REASON, DataTypes.StringType, true);
  }

  public static Dataset<Row> apply(Dataset<Row> df, InferenceConfig cfg, RowLayout layout, Scorer scorer) {
    return apply(df, cfg, layout, broadcast(df.sparkSession(), scorer));
  }

  /** As above with a scorer broadcast once (a stream scores many micro-batches with it). */
  public static Dataset<Row> apply(Dataset<Row> df, InferenceConfig cfg, RowLayout layout, Broadcast<Scorer> scorer) {
    return df.mapPartitions(new Partition(cfg, layout, scorer), Encoders.row(schema(df.schema())));
  }

  public static Broadcast<Scorer> broadcast(org.apache.spark.sql.SparkSession spark, Scorer scorer) {
    return JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(scorer);
  }

  static final class Partition implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final InferenceConfig cfg;
    private final RowLayout layout;
    private final Broadcast<Scorer> scorer;

    Partition(InferenceConfig cfg, RowLayout layout, Broadcast<Scorer> scorer) {
      this.cfg = cfg;
      this.layout = layout;
      this.scorer = scorer;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      if (!rows.hasNext()) {
        return java.util.Collections.emptyIterator();  // no model load for an empty (micro-)batch
      }
      return new Detections(cfg, layout, rows, scorer.value());
    }
  }

  /** The model's batches, each image's row with the detector's verdict appended. */
  static final class Detections extends ModelBatches<Row> {
    private final Scorer s;
    private double[] feats = new double[0];
    private double[] scores = new double[0];

    Detections(InferenceConfig cfg, RowLayout layout, Iterator<Row> rows, Scorer s) {
      super(cfg, layout, rows);
      this.s = s;
    }

    @Override
    void emit(BatchRunner.Batch b, List<Row> ready) {
      for (BatchRunner.Skipped sk : b.skipped()) {
        ready.add(append(sk.row(), null, null, null, null, sk.reason()));
      }
      int n = b.count();
      if (n == 0) {
        return;
      }
      int d = b.output().dim();
      int c = b.output().classes();
      if (feats.length < n * d) {
        feats = new double[n * d];
        scores = new double[n];
      }
      float[] f = b.output().features();
      for (int i = 0; i < n * d; i++) {
        feats[i] = f[i];
      }
      s.method().score(feats, n, scores);
      float[] logits = b.output().logits();
      double[] row = new double[c];
      for (int k = 0; k < n; k++) {
        for (int i = 0; i < c; i++) {
          row[i] = logits[k * c + i];
        }
        ready.add(append(b.rows()[k], scores[k], s.rule().pValue(scores[k]), s.rule().flags(scores[k]),
            Energy.argmax(row, 0, c), null));
      }
    }

    private static Row append(Row r, Double score, Double p, Boolean ood, Integer pred, String skipReason) {
      Object[] v = new Object[r.size() + COLUMNS.size()];
      for (int i = 0; i < r.size(); i++) {
        v[i] = r.get(i);
      }
      v[r.size()] = score;
      v[r.size() + 1] = p;
      v[r.size() + 2] = ood;
      v[r.size() + 3] = pred;
      v[r.size() + 4] = skipReason;
      return RowFactory.create(v);
    }
  }
}
