package io.opnp.spark;

import io.opnp.math.LinearHead;
import java.util.Iterator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Appends an OOD score and a predicted class to every row of a user's DataFrame (the ML Model's transform). */
public final class AppendScores {
  private AppendScores() {}

  /** The input schema with the two new columns. */
  public static StructType schema(StructType in, String scoreCol, String predictionCol) {
    return in.add(scoreCol, DataTypes.DoubleType, true).add(predictionCol, DataTypes.IntegerType, true);
  }

  /**
   * @param usePruned score with the OPNP-pruned head (method "opnp") rather than the original (method "energy")
   */
  public static Dataset<Row> apply(Dataset<Row> df, InferenceConfig cfg, RowLayout layout, LinearHead original,
                                   LinearHead pruned, boolean usePruned, String scoreCol, String predictionCol) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(df.sparkSession().sparkContext());
    Broadcast<ScoringHeads> heads = jsc.broadcast(new ScoringHeads(original, pruned, cfg.temperature()));
    StructType out = schema(df.schema(), scoreCol, predictionCol);
    return df.mapPartitions(new Partition(cfg, layout, heads, usePruned), Encoders.row(out));
  }

  static final class Partition implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final InferenceConfig cfg;
    private final RowLayout layout;
    private final Broadcast<ScoringHeads> heads;
    private final boolean usePruned;

    Partition(InferenceConfig cfg, RowLayout layout, Broadcast<ScoringHeads> heads, boolean usePruned) {
      this.cfg = cfg;
      this.layout = layout;
      this.heads = heads;
      this.usePruned = usePruned;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      return new ScoringIterator<>(cfg, layout, heads.value(), null, rows, s -> {
        Row r = s.row();
        Object[] values = new Object[r.size() + 2];
        for (int i = 0; i < r.size(); i++) {
          values[i] = r.get(i);
        }
        values[r.size()] = usePruned ? s.opnp() : s.energy();
        values[r.size() + 1] = usePruned ? s.opnpPred() : s.pred();
        return RowFactory.create(values);
      });
    }
  }
}
