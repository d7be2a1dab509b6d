package opnp_spark.ml;

import io.opnp.BadInputException;
import io.opnp.math.OodMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.evaluation.Evaluator;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * OOD-detection metrics over a scored DataFrame (an {@link OodDetectorModel}'s or an
 * {@link OpnpModel}'s output) as a Spark ML {@link Evaluator}: rows where {@code oodIndicatorCol}
 * is false are in-distribution (the positive class, OpenOOD's convention), the score is higher for
 * more in-distribution. {@code evaluate} gives {@code metricName} (auroc, fpr95, fpr95_openood,
 * aupr_in, aupr_out) over all OOD rows; {@link #evaluateBySet} gives every metric per OOD set (the
 * values of {@code setCol}), each against all ID rows, as the report's table does.
 */
public final class OodEvaluator extends Evaluator implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  /** The metric names, as metrics.json spells them. */
  public static final List<String> METRICS = List.of("auroc", "fpr95", "fpr95_openood", "aupr_in", "aupr_out");

  private final String uid;
  private final Param<String> metricName;
  private final Param<String> scoreCol;
  private final Param<String> oodIndicatorCol;
  private final Param<String> setCol;

  public OodEvaluator() {
    this(Identifiable$.MODULE$.randomUID("oodEvaluator"));
  }

  public OodEvaluator(String uid) {
    this.uid = uid;
    metricName = new Param<String>(this, "metricName", "metric: auroc, fpr95 (at 95 % TPR, ID positive), fpr95_openood "
        + "(OpenOOD v1.5's), aupr_in or aupr_out", ParamValidators.inArray(METRICS.toArray(new String[0])));
    scoreCol = new Param<String>(this, "scoreCol", "score column, higher = more in-distribution");
    oodIndicatorCol = new Param<String>(this, "oodIndicatorCol", "boolean column: true for OOD rows, false for ID rows");
    setCol = new Param<String>(this, "setCol", "column naming each OOD row's set, for evaluateBySet");
    setDefault(metricName, "auroc");
    setDefault(scoreCol, "ood_score");
    setDefault(oodIndicatorCol, "is_ood_truth");
    setDefault(setCol, "dataset");
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> metricName() {
    return metricName;
  }

  public Param<String> scoreCol() {
    return scoreCol;
  }

  public Param<String> oodIndicatorCol() {
    return oodIndicatorCol;
  }

  public Param<String> setCol() {
    return setCol;
  }

  public OodEvaluator setMetricName(String value) {
    set(metricName, value);
    return this;
  }

  public OodEvaluator setScoreCol(String value) {
    set(scoreCol, value);
    return this;
  }

  public OodEvaluator setOodIndicatorCol(String value) {
    set(oodIndicatorCol, value);
    return this;
  }

  public OodEvaluator setSetCol(String value) {
    set(setCol, value);
    return this;
  }

  @Override
  public double evaluate(Dataset<?> dataset) {
    Map<String, double[]> scores = collect(dataset, false);
    List<double[]> ood = new ArrayList<>();
    scores.forEach((k, v) -> {
      if (!k.isEmpty()) {
        ood.add(v);
      }
    });
    return metric(OodMetrics.of(scores.get(""), concat(ood)), $(metricName));
  }

  /** Every metric per OOD set: set name → metric name → value, sets in name order. */
  public Map<String, Map<String, Double>> evaluateBySet(Dataset<?> dataset) {
    Map<String, double[]> scores = collect(dataset, true);
    Map<String, Map<String, Double>> table = new LinkedHashMap<>();
    for (Map.Entry<String, double[]> e : scores.entrySet()) {
      if (!e.getKey().isEmpty()) {
        OodMetrics m = OodMetrics.of(scores.get(""), e.getValue());
        Map<String, Double> row = new LinkedHashMap<>();
        for (String name : METRICS) {
          row.put(name, metric(m, name));
        }
        table.put(e.getKey(), row);
      }
    }
    return table;
  }

  @Override
  public boolean isLargerBetter() {
    return !$(metricName).startsWith("fpr95");
  }

  private static double metric(OodMetrics m, String name) {
    return switch (name) {
      case "auroc" -> m.auroc();
      case "fpr95" -> m.fpr95();
      case "fpr95_openood" -> m.fpr95OpenOod();
      case "aupr_in" -> m.auprIn();
      case "aupr_out" -> m.auprOut();
      default -> throw new BadInputException("metricName must be one of " + METRICS + ", got '" + name + "'");
    };
  }

  /** ID scores under "", OOD scores under their set's name (or "ood" when not by set). */
  private Map<String, double[]> collect(Dataset<?> dataset, boolean bySet) {
    StructType schema = dataset.schema();
    List<String> names = Arrays.asList(schema.fieldNames());
    check(schema, names, $(scoreCol), "scoreCol", NumericType.class, "a numeric score column");
    check(schema, names, $(oodIndicatorCol), "oodIndicatorCol", BooleanType.class, "a boolean column (true = OOD)");
    if (bySet) {
      check(schema, names, $(setCol), "setCol", null, "a column naming each OOD row's set");
    }
    Map<String, List<Double>> lists = new TreeMap<>();
    lists.put("", new ArrayList<>());
    String set = bySet ? $(setCol) : $(oodIndicatorCol);
    for (Row r : dataset.toDF().where(org.apache.spark.sql.functions.col($(scoreCol)).isNotNull())
        .select(org.apache.spark.sql.functions.col($(scoreCol)).cast("double"), org.apache.spark.sql.functions.col(
            $(oodIndicatorCol)), org.apache.spark.sql.functions.col(set).cast("string")).collectAsList()) {
      String key = r.getBoolean(1) ? (bySet ? String.valueOf(r.getString(2)) : "ood") : "";
      lists.computeIfAbsent(key, k -> new ArrayList<>()).add(r.getDouble(0));
    }
    if (lists.get("").isEmpty() || lists.size() < 2) {
      throw new BadInputException("OodEvaluator needs scored ID rows (" + $(oodIndicatorCol) + " false) and OOD rows ("
          + $(oodIndicatorCol) + " true); got " + lists.get("").size() + " ID row(s) and " + (lists.size() - 1)
          + " OOD set(s)");
    }
    Map<String, double[]> out = new LinkedHashMap<>();
    lists.forEach((k, v) -> out.put(k, v.stream().mapToDouble(Double::doubleValue).toArray()));
    return out;
  }

  private static void check(StructType schema, List<String> names, String column, String param,
                            Class<?> type, String what) {
    if (!names.contains(column)) {
      throw new BadInputException(param + " '" + column + "' is not a column of the DataFrame (columns: " + names
          + "); it must name " + what);
    }
    if (type != null && !type.isInstance(schema.apply(column).dataType())) {
      throw new BadInputException(param + " '" + column + "' has type " + schema.apply(column).dataType().simpleString()
          + "; it must be " + what);
    }
  }

  private static double[] concat(List<double[]> parts) {
    return parts.stream().flatMapToDouble(Arrays::stream).toArray();
  }

  @Override
  public OodEvaluator copy(ParamMap extra) {
    return (OodEvaluator) defaultCopy(extra);
  }

  public static MLReader<OodEvaluator> read() {
    return new DefaultParamsReader<>();
  }

  public static OodEvaluator load(String path) {
    return read().load(path);
  }
}
