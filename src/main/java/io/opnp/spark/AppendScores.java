package io.opnp.spark;

import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.methods.DetectorSpec;
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
 * Appends an OOD score and a predicted class to every row of a user's DataFrame (the ML Model's
 * transform), scored by one method of the method table built through {@link DetectorSpec#build}.
 */
public final class AppendScores {
  /**
   * The methods this can score, in table order: those that need nothing fitted beyond the head and,
   * for OPNP's, the sensitivity (a Model holds only the sensitivity).
   */
  public static final List<String> METHODS = ScoringMethods.headOnly();

  private AppendScores() {}

  /** The input schema with the two new columns. */
  public static StructType schema(StructType in, String scoreCol, String predictionCol) {
    return in.add(scoreCol, DataTypes.DoubleType, true).add(predictionCol, DataTypes.IntegerType, true);
  }

  /**
   * @param spec one of {@link #METHODS}, with its plan for an OPNP method
   * @param head the model's original head; the prediction is by the head the method scores through
   *     (the pruned one for an OPNP method)
   * @param sensitivity what OPNP's plan prunes by
   */
  public static Dataset<Row> apply(Dataset<Row> df, InferenceConfig cfg, RowLayout layout, DetectorSpec spec,
                                   LinearHead head, Sensitivity sensitivity, String scoreCol, String predictionCol) {
    ScoringMethods methods = ScoringMethods.of(List.of(spec), head, sensitivity, cfg.temperature());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(df.sparkSession().sparkContext());
    StructType out = schema(df.schema(), scoreCol, predictionCol);
    return df.mapPartitions(new Partition(cfg, layout, jsc.broadcast(methods)), Encoders.row(out));
  }

  static final class Partition implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final InferenceConfig cfg;
    private final RowLayout layout;
    private final Broadcast<ScoringMethods> methods;

    Partition(InferenceConfig cfg, RowLayout layout, Broadcast<ScoringMethods> methods) {
      this.cfg = cfg;
      this.layout = layout;
      this.methods = methods;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      return new ScoringIterator<>(cfg, layout, methods.value(), null, rows, AppendScores::append);
    }
  }

  /** The input row with the method's score and predicted class after its columns (nulls for a skipped image). */
  private static Row append(ScoringIterator.Scored s) {
    Row r = s.row();
    Object[] values = new Object[r.size() + 2];
    for (int i = 0; i < r.size(); i++) {
      values[i] = r.get(i);
    }
    values[r.size()] = s.score(0);
    values[r.size() + 1] = s.pred(0);
    return RowFactory.create(values);
  }
}
