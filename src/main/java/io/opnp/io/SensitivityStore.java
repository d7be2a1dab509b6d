package io.opnp.io;

import static org.apache.spark.sql.functions.col;

import io.opnp.BadInputException;
import io.opnp.math.Sensitivity;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@link Sensitivity} as Parquet: one row per class with that class's weight sensitivities
 * ({@code kind = "weight"}, {@code index = class}) and one row with the neuron sensitivities
 * ({@code kind = "neuron"}), each carrying m, C, D, T and the model's name and SHA-256, and the
 * engine that computed them ({@code engine}: JSON of {@link io.opnp.model.EngineProvenance}; read
 * back by {@link #engine}, optional so that older outputs still load).
 */
public final class SensitivityStore {
  public static final StructType SCHEMA = new StructType()
      .add("kind", DataTypes.StringType, false)
      .add("index", DataTypes.IntegerType, false)
      .add("values", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
      .add("count", DataTypes.LongType, false)
      .add("classes", DataTypes.IntegerType, false)
      .add("dim", DataTypes.IntegerType, false)
      .add("temperature", DataTypes.DoubleType, false)
      .add("model_name", DataTypes.StringType, true)
      .add("model_sha256", DataTypes.StringType, true)
      .add("engine", DataTypes.StringType, true);
  private static final int REQUIRED_COLUMNS = 9;

  private SensitivityStore() {}

  public static void save(SparkSession spark, Sensitivity s, String path, boolean overwrite) {
    var conf = spark.sparkContext().hadoopConfiguration();
    Outputs.checkWritable(conf, path, overwrite);
    String engine = io.opnp.model.EngineProvenance.json(spark.sparkContext().isLocal());
    List<Row> rows = new ArrayList<>(s.classes() + 1);
    double[] w = s.weight();
    for (int i = 0; i < s.classes(); i++) {
      double[] row = new double[s.dim()];
      System.arraycopy(w, i * s.dim(), row, 0, s.dim());
      rows.add(row("weight", i, row, s, engine));
    }
    rows.add(row("neuron", 0, s.neuron(), s, engine));
    String staging = Outputs.staging(path);
    try {
      spark.createDataFrame(rows, SCHEMA).coalesce(1).write().parquet(staging);
      Outputs.commit(conf, staging, path, overwrite);
    } catch (RuntimeException e) {
      Outputs.abort(conf, staging);
      throw e;
    }
  }

  private static Row row(String kind, int index, double[] values, Sensitivity s, String engine) {
    Double[] boxed = new Double[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return RowFactory.create(kind, index, boxed, s.count(), s.classes(), s.dim(), s.temperature(),
        s.modelName(), s.modelSha256(), engine);
  }

  /** The engine provenance (JSON) saved with the sensitivities at {@code path}, or null for older outputs. */
  public static String engine(SparkSession spark, String path) {
    Dataset<Row> ds = spark.read().parquet(path);
    if (!List.of(ds.schema().fieldNames()).contains("engine")) {
      return null;
    }
    Row r = ds.select("engine").where(col("engine").isNotNull()).limit(1).collectAsList().stream().findFirst().orElse(null);
    return r == null ? null : r.getString(0);
  }

  public static Sensitivity load(SparkSession spark, String path) {
    Dataset<Row> ds;
    try {
      ds = spark.read().parquet(path);
    } catch (Exception e) {
      throw new BadInputException("cannot read sensitivities at " + path + " (" + e.getMessage()
          + "); run the sensitivity job first and pass its --output here", e);
    }
    for (String c : java.util.Arrays.copyOf(SCHEMA.fieldNames(), REQUIRED_COLUMNS)) {
      if (!List.of(ds.schema().fieldNames()).contains(c)) {
        throw new BadInputException("sensitivities at " + path + " lack column '" + c + "'; "
            + "this is not a sensitivity job's output, rerun the sensitivity job");
      }
    }
    List<Row> rows = ds.select(SCHEMA.fieldNames()[0], java.util.Arrays.copyOfRange(SCHEMA.fieldNames(), 1, 9))
        .orderBy(col("kind"), col("index")).collectAsList();
    if (rows.isEmpty()) {
      throw new BadInputException("sensitivities at " + path + " are empty; rerun the sensitivity job");
    }
    Row first = rows.get(0);
    long count = first.getLong(3);
    int classes = first.getInt(4);
    int dim = first.getInt(5);
    double temperature = first.getDouble(6);
    double[] weight = new double[classes * dim];
    double[] neuron = null;
    boolean[] seen = new boolean[classes];
    for (Row r : rows) {
      List<Double> values = r.getList(2);
      if (r.getString(0).equals("neuron")) {
        neuron = unbox(values, dim, path);
      } else {
        int i = r.getInt(1);
        if (i < 0 || i >= classes) {
          throw new BadInputException("sensitivities at " + path + " have a weight row for class " + i
              + " outside [0, " + classes + "); rerun the sensitivity job");
        }
        System.arraycopy(unbox(values, dim, path), 0, weight, i * dim, dim);
        seen[i] = true;
      }
    }
    for (int i = 0; i < classes; i++) {
      if (!seen[i] || neuron == null) {
        throw new BadInputException("sensitivities at " + path + " are incomplete (" + (neuron == null
            ? "no neuron row" : "no row for class " + i) + "); rerun the sensitivity job");
      }
    }
    return new Sensitivity(classes, dim, count, temperature, weight, neuron, first.getString(7), first.getString(8));
  }

  private static double[] unbox(List<Double> values, int dim, String path) {
    if (values.size() != dim) {
      throw new BadInputException("sensitivities at " + path + " have a row of " + values.size()
          + " values where " + dim + " were expected; rerun the sensitivity job");
    }
    double[] out = new double[dim];
    for (int j = 0; j < dim; j++) {
      out[j] = values.get(j);
    }
    return out;
  }
}
