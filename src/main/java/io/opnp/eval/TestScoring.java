package io.opnp.eval;

import static org.apache.spark.sql.functions.col;

import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import io.opnp.methods.Batch;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FittedState;
import io.opnp.methods.Method;
import io.opnp.methods.OodMethod;
import io.opnp.methods.OodMethods;
import io.opnp.spark.FeatureRows;
import io.opnp.spark.Stages;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Stage 3 of evaluate: the ID test set and every OOD set scored by every method (papers' defaults,
 * OPNP at the validation plan) and the recommended detector, in one distributed pass over the cache;
 * the per-sample scores written as {@code scores-all/} and returned (without ids) for the report.
 */
final class TestScoring {
  private TestScoring() {}

  /**
   * Every method of {@link Method} in table order (papers' defaults, OPNP at the validation plan, the fusion of the
   * validation's leading families), then the chosen detector (column {@link EvaluateJob#DETECTOR}).
   */
  static List<OodMethod> methods(LinearHead head, FittedState fit, double temperature,
                                 DetectorSelection.Outcome chosen) {
    List<OodMethod> methods = new ArrayList<>();
    for (Method m : Method.values()) {
      DetectorSpec spec = m == Method.FUSION ? chosen.fusion().spec()
          : m == Method.OPNP_REACT && chosen.bestOpnpReact() != null ? chosen.bestOpnpReact()
          : m.usesPlan() ? DetectorSpec.of(m).withPlan(chosen.plan().plan()) : DetectorSpec.of(m);
      methods.add(spec.build(head, fit, temperature));
    }
    methods.add(chosen.chosenMethod());
    return methods;
  }

  static List<Row> run(SparkSession spark, Dataset<Row> cache, EvaluateJob.Roles roles, List<OodMethod> methods,
                       LinearHead head, LinearHead pruned, double temperature, String target) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<String> sets = new ArrayList<>();
    sets.add(roles.idTest());
    sets.addAll(roles.oods());
    Broadcast<Scorers> scorersB = jsc.broadcast(new Scorers(new ArrayList<>(methods), head, pruned));
    StructType schema = scoreSchema();
    try {
      Stages.describe(jsc, "opnp evaluate: score the test sets with " + methods.size() + " methods");
      Dataset<Row> rows = cache.where(col("dataset").isin(sets.toArray()));
      spark.createDataFrame(rows.javaRDD().mapPartitions(new ScorePartition(scorersB, temperature)), schema)
          .write().partitionBy("dataset").parquet(target);
      return spark.read().schema(schema).parquet(target).drop("id").collectAsList();
    } finally {
      scorersB.destroy();
    }
  }

  static StructType scoreSchema() {
    StructType s = new StructType()
        .add("id", DataTypes.StringType, false)
        .add("dataset", DataTypes.StringType, false)
        .add("label", DataTypes.LongType, true)
        .add("pred", DataTypes.IntegerType, false)
        .add("conf", DataTypes.DoubleType, false)
        .add("opnp_pred", DataTypes.IntegerType, false)
        .add("opnp_conf", DataTypes.DoubleType, false);
    for (String m : OodMethods.NAMES) {
      s = s.add(m, DataTypes.DoubleType, false);
    }
    return s.add(EvaluateJob.DETECTOR, DataTypes.DoubleType, false);
  }

  /**
   * The methods and both heads, broadcast as one object so that the heads stay the very heads the
   * methods score through: the predictions then reuse the batch's logits instead of new products.
   */
  record Scorers(ArrayList<OodMethod> methods, LinearHead head, LinearHead pruned) implements java.io.Serializable {}

  /** Every method's score, the predictions and confidences of both heads, per cached image. */
  static final class ScorePartition implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<Scorers> scorers;
    private final double temperature;

    ScorePartition(Broadcast<Scorers> scorers, double temperature) {
      this.scorers = scorers;
      this.temperature = temperature;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      Scorers sc = scorers.value();
      List<OodMethod> ms = sc.methods();
      int d = sc.head().dim();
      int c = sc.head().classes();
      return FeatureRows.mapBatches(rows, TrainingFit.BATCH, d, "features", b -> {
        int n = b.n();
        Batch batch = new Batch(b.features(), n, d);
        double[][] s = new double[ms.size()][n];
        OodMethods.scoreAll(ms, batch, s);  // a KNN detector shares knn's distance pass
        double[] logits = batch.logits(sc.head());
        double[] prunedLogits = batch.logits(sc.pruned());
        List<Row> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
          Row r = b.rows().get(k);
          Object[] v = new Object[7 + ms.size()];
          v[0] = r.getAs("id");
          v[1] = r.getAs("dataset");
          v[2] = r.getAs("label");
          v[3] = Energy.argmax(logits, k * c, c);
          v[4] = Energy.maxSoftmax(logits, k * c, c, temperature);
          v[5] = Energy.argmax(prunedLogits, k * c, c);
          v[6] = Energy.maxSoftmax(prunedLogits, k * c, c, temperature);
          for (int i = 0; i < ms.size(); i++) {
            v[7 + i] = s[i][k];
          }
          out.add(RowFactory.create(v));
        }
        return out;
      });
    }
  }
}
