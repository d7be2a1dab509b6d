package io.opnp.detect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.opnp.BadInputException;
import io.opnp.data.Preprocess;
import io.opnp.decision.ConformalPValues;
import io.opnp.decision.FalseAlarmEstimate;
import io.opnp.io.Outputs;
import io.opnp.io.SensitivityStore;
import io.opnp.math.Sensitivity;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FeatureStats;
import io.opnp.methods.KnnBank;
import io.opnp.methods.GuideBank;
import io.opnp.methods.Method;
import io.opnp.methods.TrainingSums;
import io.opnp.methods.VimSubspace;
import io.opnp.spark.InferenceConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A saved detector, {@code DIR/}: {@code detector.json} (method, hyper-parameters, threshold and the
 * false-alarm rate to expect, the held-out ID scores for p-values, preprocessing, the model's name and
 * SHA-256, engine and numerics mode) and, as Parquet, only what the method needs to score: the
 * training statistics its {@link Method.Need}s name ({@code state/}, by prefix: features, normalized_, correct_,
 * softmax_), ViM's subspace ({@code vim-subspace.f64}), the KNN bank ({@code knn-bank.f64}), NNGuide's guides
 * ({@code nnguide-bank.f64})
 * and the sensitivity ({@code sensitivity/}: the opnp methods, whose masks are rebuilt from it and the
 * plan). Written by {@code evaluate}; read by {@code opnp detect}, the streaming monitor and the ML API.
 */
public final class DetectorBundle {
  private static final Logger LOG = LoggerFactory.getLogger(DetectorBundle.class);
  public static final String FILE = "detector.json";
  public static final int FORMAT = 1;
  static final StructType STATE = new StructType()
      .add("name", DataTypes.StringType, false)
      .add("index", DataTypes.IntegerType, false)
      .add("values", DataTypes.createArrayType(DataTypes.DoubleType, false), false);

  /** What evaluate knows beside the fitted state: the model and its preprocessing. */
  public record Context(InferenceConfig cfg) {}

  /**
   * The fitted state of one detector, as evaluate hands it over.
   *
   * @param vim ViM's subspace, saved for a vim detector so that loading it does not redo the
   *     eigen-decomposition; null writes a bundle without it, which loads by refitting
   */
  public record Fitted(DetectorSpec spec, double reactThreshold, FalseAlarmEstimate threshold, double keep,
                       double[] calibrationScores, TrainingSums.Result training, double vimMeanResidual,
                       VimSubspace vim, KnnBank bank, GuideBank guides, Sensitivity sensitivity,
                       Map<String, Object> selection) {}

  private DetectorBundle() {}

  public static void save(SparkSession spark, String dir, Context context, Fitted f) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Method method = f.spec().method();
    InferenceConfig cfg = context.cfg();
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("format", FORMAT);
    root.put("method", method.key());
    root.put("label", f.spec().label());
    root.put("parameters", f.spec().parameters());
    root.put("react_threshold", method.needs(Method.Need.REACT_THRESHOLD) ? f.reactThreshold() : null);
    root.put("temperature", cfg.temperature());
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("keep_id_share", f.keep());
    t.put("threshold", f.threshold().threshold());
    t.put("rule", "is_ood = ood_score < threshold; ood_pvalue = (1 + #{calibration <= score}) / (n + 1)");
    t.put("expected_false_alarm_rate", f.threshold().estimate());
    t.put("false_alarm_interval_95", List.of(f.threshold().interval().lower(), f.threshold().interval().upper()));
    root.put("threshold", t);
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("name", cfg.modelName());
    model.put("sha256", cfg.modelSha256());
    model.put("weight_param", cfg.weightParam());
    model.put("bias_param", cfg.biasParam());
    root.put("model", model);
    Preprocess p = cfg.preprocess();
    Map<String, Object> pre = new LinkedHashMap<>();
    pre.put("channels", p.channels());
    pre.put("height", p.height());
    pre.put("width", p.width());
    pre.put("mean", p.mean() == null ? null : floats(p.mean()));
    pre.put("std", p.std() == null ? null : floats(p.std()));
    pre.put("resize_shorter", p.resizeShorter());
    pre.put("max_image_pixels", p.maxImagePixels());
    root.put("preprocessing", pre);
    root.put("engine", io.opnp.model.EngineProvenance.current(spark.sparkContext().isLocal()));
    root.put("selection", f.selection());
    Map<String, Object> state = new LinkedHashMap<>();
    List<Row> rows = new ArrayList<>();
    for (Part part : Part.values()) {
      if (part.neededBy(method)) {
        FeatureStats s = part.of(f.training());
        String px = part.prefix;
        state.put(px + "classes", s.classes());
        state.put(px + "dim", s.dim());
        state.put(px + "count", s.count());
        state.put(px + "mean_max_logit", s.meanMaxLogit());
        long[] counts = s.classCounts();
        double[] c = new double[counts.length];
        for (int i = 0; i < c.length; i++) {
          c[i] = counts[i];
        }
        rows.add(RowFactory.create(px + "class_counts", 0, boxed(c, 0, c.length)));
        rows.add(RowFactory.create(px + "mean", 0, boxed(s.mean(), 0, s.dim())));
        addMatrix(rows, px + "class_means", s.classMeans(), s.classes(), s.dim());
        if (s.hasSecondMoments()) {
          addMatrix(rows, px + "second_moment", s.secondMoment(), s.dim(), s.dim());
        }
      }
    }
    if (method.needs(Method.Need.STATS)) {
      state.put("vim_mean_residual", f.vimMeanResidual());
    }
    if (method.needs(Method.Need.VIM) && f.vim() != null) {
      state.put("vim_dim", f.vim().dim());
      state.put("vim_principal_dim", f.vim().principalDim());
      writeDoubles(conf, dir + "/" + VIM, f.vim().origin(), f.vim().residualRows());
    }
    if (method.needs(Method.Need.BANK)) {
      state.put("bank_size", f.bank().size());
      state.put("bank_dim", f.bank().dim());
      state.put("bank_training_rows", f.bank().trainingRows());
      writeDoubles(conf, dir + "/" + BANK, f.bank().normalizedRows());
    }
    if (method.needs(Method.Need.GUIDES)) {
      state.put("guides_size", f.guides().size());
      state.put("guides_dim", f.guides().dim());
      writeDoubles(conf, dir + "/" + GUIDES, f.guides().guides());
    }
    root.put("state", state);
    root.put("calibration_scores", f.calibrationScores());
    if (!rows.isEmpty()) {
      spark.createDataFrame(rows, STATE).write().parquet(dir + "/state");
    }
    if (method.usesPlan()) {
      SensitivityStore.save(spark, f.sensitivity(), dir + "/sensitivity", false);
    }
    try {
      Outputs.create(conf, dir + "/" + FILE,
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Reads a bundle; fails naming the directory and what is wrong with it. */
  public static Detector load(SparkSession spark, String dir) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path file = new Path(dir, FILE);
    JsonNode root;
    try {
      FileSystem fs = file.getFileSystem(conf);
      if (!fs.exists(file)) {
        throw new BadInputException("no detector at " + dir + " (" + FILE + " is missing); point --detector at the "
            + "detector/ directory that opnp evaluate wrote");
      }
      try (InputStream in = fs.open(file)) {
        root = new ObjectMapper().readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new BadInputException("cannot read " + file + " (" + e.getMessage() + "); the detector bundle is damaged: "
          + "write it again with opnp evaluate", e);
    }
    try {
      if (root.path("format").asInt() != FORMAT) {
        throw new BadInputException(file + " has format " + root.path("format") + ", this version reads " + FORMAT);
      }
      Method method;
      try {
        method = Method.parse(root.get("method").asText());
      } catch (IllegalArgumentException e) {
        throw new BadInputException(file + ": " + e.getMessage() + "; this version cannot score it: run evaluate again", e);
      }
      JsonNode params = root.get("parameters");
      DetectorSpec spec = DetectorSpec.fromParameters(method, k -> params.has(k) ? params.get(k).asDouble() : null);
      JsonNode t = root.get("threshold");
      double[] calib = doubles(root.get("calibration_scores"));
      JsonNode model = root.get("model");
      JsonNode state = root.get("state");
      Map<String, double[][]> tensors = readState(spark, dir, state);
      FeatureStats[] parts = new FeatureStats[Part.values().length];
      for (Part part : Part.values()) {
        if (part.neededBy(method)) {
          parts[part.ordinal()] = readStats(state, tensors, part.prefix);
        }
      }
      TrainingSums.Result training = new TrainingSums.Result(parts[0], parts[1], parts[2], parts[3]);
      double vimResidual = method.needs(Method.Need.STATS) ? state.get("vim_mean_residual").asDouble() : Double.NaN;
      VimSubspace vim = method.needs(Method.Need.VIM) ? readVim(conf, dir, state) : null;
      KnnBank bank = null;
      if (method.needs(Method.Need.BANK)) {
        int m = state.get("bank_size").asInt();
        int d = state.get("bank_dim").asInt();
        bank = KnnBank.restore(readDoubles(conf, dir + "/" + BANK, (long) m * d), m, d,
            state.path("bank_training_rows").asLong(m));  // bundles before the field: the whole bank
      }
      GuideBank guides = null;
      if (method.needs(Method.Need.GUIDES)) {
        int m = state.get("guides_size").asInt();
        int d = state.get("guides_dim").asInt();
        guides = GuideBank.restore(readDoubles(conf, dir + "/" + GUIDES, (long) m * d), m, d);
      }
      Sensitivity sens = method.usesPlan() ? SensitivityStore.load(spark, dir + "/sensitivity") : null;
      JsonNode ci = t.get("false_alarm_interval_95");
      return new Detector(spec, root.get("react_threshold").isNull() ? Double.NaN : root.get("react_threshold").asDouble(),
          root.get("temperature").asDouble(), t.get("threshold").asDouble(), t.get("keep_id_share").asDouble(),
          t.get("expected_false_alarm_rate").asDouble(), ci.get(0).asDouble(), ci.get(1).asDouble(),
          new ConformalPValues(calib), model.get("name").asText(), model.get("sha256").asText(),
          model.get("weight_param").asText(), model.get("bias_param").asText(), preprocess(root.get("preprocessing")),
          training, vimResidual, vim, bank, guides, sens, root.path("engine").toString());
    } catch (NullPointerException | IllegalArgumentException e) {
      throw new BadInputException(file + " is incomplete or malformed (" + e + "); write it again with opnp evaluate", e);
    }
  }

  /** The training statistics a bundle may hold, by the prefix of their names in {@code state/}. */
  private enum Part {
    FEATURES("", Method.Need.STATS), NORMALIZED("normalized_", Method.Need.NORMALIZED_STATS),
    CORRECT("correct_", Method.Need.PATTERNS), SOFTMAX("softmax_", Method.Need.TEMPLATES);

    final String prefix;
    final Method.Need need;

    Part(String prefix, Method.Need need) {
      this.prefix = prefix;
      this.need = need;
    }

    boolean neededBy(Method m) {
      return m.needs(need);
    }

    FeatureStats of(TrainingSums.Result t) {
      return switch (this) {
        case FEATURES -> t.features();
        case NORMALIZED -> t.normalized();
        case CORRECT -> t.correct();
        case SOFTMAX -> t.softmax();
      };
    }
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
          dir, FILE);
      return null;
    }
    int dim = state.get("vim_dim").asInt();
    int d = state.get("vim_principal_dim").asInt();
    if (dim <= 0 || d < 0 || d >= dim) {
      throw new IllegalArgumentException("saved ViM subspace has dimension " + dim + " and principal dimension " + d);
    }
    double[] all = readDoubles(conf, dir + "/" + VIM, (long) (dim - d + 1) * dim);
    return VimSubspace.restore(dim, d, java.util.Arrays.copyOfRange(all, 0, dim),
        java.util.Arrays.copyOfRange(all, dim, all.length));
  }

  /** ViM's origin u (D) then its residual basis ((D − d)×D row-major), as raw big-endian float64. */
  static final String VIM = "vim-subspace.f64";
  /** The KNN bank as raw big-endian float64 (m×D row-major): up to 1 GiB by default, never boxed. */
  static final String BANK = "knn-bank.f64";
  /** NNGuide's guides, the same way (m×D). */
  static final String GUIDES = "nnguide-bank.f64";

  /** The arrays one after the other, so one file holds a record of several without a concatenated copy. */
  private static void writeDoubles(Configuration conf, String path, double[]... arrays) {
    Path p = new Path(path);
    try (var out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(
        p.getFileSystem(conf).create(p, false), 1 << 20))) {
      for (double[] values : arrays) {
        for (double v : values) {
          out.writeDouble(v);
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot write " + path, e);
    }
  }

  private static double[] readDoubles(Configuration conf, String path, long count) {
    Path p = new Path(path);
    try {
      FileSystem fs = p.getFileSystem(conf);
      long length = fs.exists(p) ? fs.getFileStatus(p).getLen() : -1;
      if (length != 8 * count) {
        throw new BadInputException(path + " holds " + Math.max(0, length) + " bytes, expected " + 8 * count
            + "; the detector bundle is damaged: write it again with opnp evaluate");
      }
      double[] out = new double[(int) count];
      try (var in = new java.io.DataInputStream(new java.io.BufferedInputStream(fs.open(p), 1 << 20))) {
        for (int i = 0; i < out.length; i++) {
          out[i] = in.readDouble();
        }
      }
      return out;
    } catch (IOException e) {
      throw new BadInputException("cannot read " + path + " (" + e.getMessage() + ")", e);
    }
  }

  private static void addMatrix(List<Row> rows, String name, double[] m, int r, int c) {
    for (int i = 0; i < r; i++) {
      rows.add(RowFactory.create(name, i, boxed(m, i * c, c)));
    }
  }

  private static List<Double> boxed(double[] a, int from, int n) {
    List<Double> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(a[from + i]);
    }
    return out;
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

  private static double[] floats(float[] a) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }
}
