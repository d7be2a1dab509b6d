package io.opnp.detect;

import com.fasterxml.jackson.databind.JsonNode;
import io.opnp.BadInputException;
import io.opnp.data.Preprocess;
import io.opnp.decision.ConformalPValues;
import io.opnp.decision.DecisionRule;
import io.opnp.decision.Interval;
import io.opnp.io.SensitivityStore;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FeatureStats;
import io.opnp.methods.FittedState;
import io.opnp.methods.GuideBank;
import io.opnp.methods.KnnBank;
import io.opnp.methods.Method;
import io.opnp.methods.Param;
import io.opnp.methods.TrainingSums;
import io.opnp.methods.VimSubspace;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads bundles of format 1 (written until December 2026), which users already have: {@code detector.json} read key
 * by key, the training statistics as Parquet rows ({@code state/}, by name prefix), ViM's subspace, the KNN bank and
 * NNGuide's guides as raw float64 files beside it, ReAct's clip at the top level. Nothing writes this format now.
 */
final class Format1Bundle {
  private static final Logger LOG = LoggerFactory.getLogger(Format1Bundle.class);
  private static final StructType STATE = new StructType()
      .add("name", DataTypes.StringType, false)
      .add("index", DataTypes.IntegerType, false)
      .add("values", DataTypes.createArrayType(DataTypes.DoubleType, false), false);
  static final String VIM = "vim-subspace.f64";
  static final String BANK = "knn-bank.f64";
  static final String GUIDES = "nnguide-bank.f64";

  /** The statistics' name prefixes in {@code state/}, by slice. */
  private static final Map<TrainingSums.Slice, Method.Need> SLICES = new LinkedHashMap<>();

  static {
    SLICES.put(TrainingSums.Slice.FEATURES, Method.Need.STATS);
    SLICES.put(TrainingSums.Slice.NORMALIZED, Method.Need.NORMALIZED_STATS);
    SLICES.put(TrainingSums.Slice.CORRECT, Method.Need.PATTERNS);
    SLICES.put(TrainingSums.Slice.SOFTMAX, Method.Need.TEMPLATES);
  }

  private Format1Bundle() {}

  private static String prefix(TrainingSums.Slice s) {
    return switch (s) {
      case FEATURES -> "";
      case NORMALIZED -> "normalized_";
      case CORRECT -> "correct_";
      case SOFTMAX -> "softmax_";
    };
  }

  static Detector load(SparkSession spark, String dir, JsonNode root) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Method method = DetectorBundle.parseMethod(dir, root.get("method").asText());
    JsonNode params = root.get("parameters");
    DetectorSpec spec = DetectorSpec.fromParameters(method, k -> params.has(k) ? params.get(k).asDouble() : null);
    JsonNode t = root.get("threshold");
    JsonNode model = root.get("model");
    JsonNode state = root.get("state");
    Map<String, double[][]> tensors = readState(spark, dir, state);
    FittedState.Builder b = FittedState.builder();
    SLICES.forEach((slice, need) -> {
      if (method.needs(need)) {
        b.training(slice, readStats(state, tensors, prefix(slice)));
      }
    });
    if (method.needs(Method.Need.REACT_THRESHOLD)) {
      b.react(new double[] {spec.value(Param.REACT_PERCENTILE)}, new double[] {root.get("react_threshold").asDouble()});
    }
    if (method.needs(Method.Need.VIM)) {
      b.vim(readVim(conf, dir, state), state.get("vim_mean_residual").asDouble());
    }
    if (method.needs(Method.Need.BANK)) {
      int m = state.get("bank_size").asInt();
      int d = state.get("bank_dim").asInt();
      b.bank(KnnBank.restore(RawDoubles.read(conf, dir + "/" + BANK, (long) m * d), m, d,
          state.path("bank_training_rows").asLong(m)));  // bundles before the field: the whole bank
    }
    if (method.needs(Method.Need.GUIDES)) {
      int m = state.get("guides_size").asInt();
      int d = state.get("guides_dim").asInt();
      b.guides(GuideBank.restore(RawDoubles.read(conf, dir + "/" + GUIDES, (long) m * d), m, d));
    }
    if (method.usesPlan()) {
      b.sensitivity(SensitivityStore.load(spark, dir + "/sensitivity"));
    }
    JsonNode ci = t.get("false_alarm_interval_95");
    DecisionRule rule = new DecisionRule(t.get("threshold").asDouble(),
        new ConformalPValues(doubles(root.get("calibration_scores"))), t.get("expected_false_alarm_rate").asDouble(),
        new Interval(ci.get(0).asDouble(), ci.get(1).asDouble(), DecisionRule.LEVEL));
    return new Detector(spec, root.get("temperature").asDouble(), t.get("keep_id_share").asDouble(), rule,
        new ModelIdentity(model.get("name").asText(), model.get("sha256").asText(), model.get("weight_param").asText(),
            model.get("bias_param").asText()),
        preprocess(root.get("preprocessing")), b.build(),
        new Detector.Provenance(root.path("engine").toString(), root.path("selection").toString()));
  }

  private static FeatureStats readStats(JsonNode state, Map<String, double[][]> tensors, String p) {
    int c = state.get(p + "classes").asInt();
    int d = state.get(p + "dim").asInt();
    double[] cc = tensors.get(p + "class_counts")[0];
    long[] counts = new long[cc.length];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = (long) cc[i];
    }
    return FeatureStats.restore(c, d, state.get(p + "count").asLong(), counts, tensors.get(p + "mean")[0],
        flatten(tensors.get(p + "class_means"), c, d),
        tensors.containsKey(p + "second_moment") ? flatten(tensors.get(p + "second_moment"), d, d) : null,
        state.get(p + "mean_max_logit").asDouble());
  }

  private static Preprocess preprocess(JsonNode p) {
    float[] mean = p.get("mean").isNull() ? null : floats(doubles(p.get("mean")));
    float[] std = p.get("std").isNull() ? null : floats(doubles(p.get("std")));
    return new Preprocess(p.get("channels").asInt(), p.get("height").asInt(), p.get("width").asInt(), mean, std,
        p.get("resize_shorter").asInt(), p.get("max_image_pixels").asLong());
  }

  private static Map<String, double[][]> readState(SparkSession spark, String dir, JsonNode state) {
    Map<String, double[][]> out = new LinkedHashMap<>();
    Path p = new Path(dir, "state");
    try {
      if (state == null || state.isEmpty() || !p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
        return out;
      }
    } catch (IOException e) {
      throw new BadInputException("cannot read " + p + " (" + e.getMessage() + ")", e);
    }
    List<Row> rows = spark.read().schema(STATE).parquet(dir + "/state").collectAsList();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    for (Row r : rows) {
      sizes.merge(r.getString(0), r.getInt(1) + 1, Math::max);
    }
    sizes.forEach((k, v) -> out.put(k, new double[v][]));
    for (Row r : rows) {
      List<Double> v = r.getList(2);
      double[] a = new double[v.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = v.get(i);
      }
      out.get(r.getString(0))[r.getInt(1)] = a;
    }
    return out;
  }

  /**
   * ViM's subspace; null, with a log line, for bundles written before it was saved, which then refit it
   * from the training statistics when the scorer is built.
   */
  private static VimSubspace readVim(Configuration conf, String dir, JsonNode state) {
    if (!state.has("vim_principal_dim")) {
      LOG.info("{}/{} has no saved ViM subspace (written by an older version); it is refitted from the training "
          + "statistics, an eigen-decomposition of a D×D matrix (~15 s at D = 2048). Run evaluate again to save it",
          dir, DetectorBundle.FILE);
      return null;
    }
    int dim = state.get("vim_dim").asInt();
    int d = state.get("vim_principal_dim").asInt();
    if (dim <= 0 || d < 0 || d >= dim) {
      throw new IllegalArgumentException("saved ViM subspace has dimension " + dim + " and principal dimension " + d);
    }
    double[] all = RawDoubles.read(conf, dir + "/" + VIM, (long) (dim - d + 1) * dim);
    return VimSubspace.restore(dim, d, java.util.Arrays.copyOfRange(all, 0, dim),
        java.util.Arrays.copyOfRange(all, dim, all.length));
  }

  private static double[] flatten(double[][] rows, int r, int c) {
    if (rows == null || rows.length != r) {
      throw new IllegalArgumentException("saved state has " + (rows == null ? 0 : rows.length) + " rows, expected " + r);
    }
    double[] out = new double[r * c];
    for (int i = 0; i < r; i++) {
      if (rows[i] == null || rows[i].length != c) {
        throw new IllegalArgumentException("saved state row " + i + " is missing or of the wrong width");
      }
      System.arraycopy(rows[i], 0, out, i * c, c);
    }
    return out;
  }

  private static double[] doubles(JsonNode a) {
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asDouble();
    }
    return out;
  }

  private static float[] floats(double[] a) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = (float) a[i];
    }
    return out;
  }
}
