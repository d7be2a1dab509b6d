package io.opnp.eval;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

import io.opnp.BadInputException;
import io.opnp.io.StagedOutputs;
import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.model.HeadReader;
import io.opnp.spark.ExecutorModels;
import io.opnp.spark.FeatureCacheJob;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.SensitivityJob;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * A feature cache made from the user's own features and logits instead of a model pass (e.g. features a serving
 * system already logged): the rows in the cache's schema, the model's head read from the model file (never run over
 * the images), a check that the widths match it, and the training rows' sensitivity from the cached values.
 */
public final class CachedFeatures {
  private CachedFeatures() {}

  /** The rows of one role as cache rows of dataset {@code name}; rows without an id get one made from the row. */
  public static Dataset<Row> rows(Dataset<Row> rows, String idCol, String labelCol, String featuresCol,
                                  String logitsCol, String name) {
    List<String> names = Arrays.asList(rows.columns());
    Column made = concat(lit(name + "#"), monotonically_increasing_id().cast("string"));
    Column id = names.contains(idCol) ? coalesce(col(idCol).cast("string"), made) : made;
    return rows.select(id.as("id"), lit(name).as("dataset"), col(labelCol).cast(DataTypes.LongType).as("label"),
        col(featuresCol).cast(DataTypes.createArrayType(DataTypes.FloatType)).as("features"),
        col(logitsCol).cast(DataTypes.createArrayType(DataTypes.FloatType)).as("logits"));
  }

  /**
   * Writes {@code parts} as the feature cache at {@code cache} and returns the model's head and the sensitivity of
   * the rows of dataset {@code train}; fails naming the column whose width does not match the head.
   */
  public static ModelPass.Outcome write(SparkSession spark, InferenceConfig cfg, List<Dataset<Row>> parts,
                                        String train, String cache) {
    LinearHead head = HeadReader.read(ExecutorModels.model(cfg), cfg.weightParam(), cfg.biasParam());
    Dataset<Row> all = parts.get(0);
    for (int i = 1; i < parts.size(); i++) {
      all = all.unionByName(parts.get(i));
    }
    checkWidths(all, head);
    Path dir = new Path(cache);
    try (StagedOutputs out = new StagedOutputs(spark.sparkContext().hadoopConfiguration(), dir.getParent().toString(),
        List.of(dir.getName()), false)) {
      all.write().partitionBy("dataset").parquet(out.path(dir.getName()));
      out.commit();
    }
    Dataset<Row> trainRows = FeatureCacheJob.read(spark, cache).where(col("dataset").equalTo(train));
    Sensitivity sens = SensitivityJob.fromFeatures(spark, trainRows, head, cfg.temperature(), cfg.modelName(),
        cfg.modelSha256());
    return new ModelPass.Outcome(head, sens);
  }

  private static void checkWidths(Dataset<Row> all, LinearHead head) {
    Row bad = all.selectExpr("id", "size(features) AS d", "size(logits) AS c", "features IS NULL OR logits IS NULL AS n")
        .where(col("d").notEqual(head.dim()).or(col("c").notEqual(head.classes())).or(col("n")))
        .limit(1).collectAsList().stream().findFirst().orElse(null);
    if (bad != null) {
      throw new BadInputException("row " + bad.getString(0) + " has " + bad.get(1) + " features and " + bad.get(2)
          + " logits, but the model's head is " + head.classes() + "x" + head.dim() + " (features " + head.dim()
          + ", logits " + head.classes() + "); give the model the features were computed with, or its last layer's "
          + "input and output");
    }
  }
}
