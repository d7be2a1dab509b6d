package io.opnp.detect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opnp.BadInputException;
import io.opnp.decision.ConformalPValues;
import io.opnp.decision.DecisionRule;
import io.opnp.decision.FalseAlarmEstimate;
import io.opnp.decision.Interval;
import io.opnp.io.Outputs;
import io.opnp.io.SensitivityStore;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FittedState;
import io.opnp.methods.Fusion;
import io.opnp.methods.Method;
import io.opnp.methods.StateStore;
import io.opnp.spark.InferenceConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * A saved detector, {@code DIR/}: {@code detector.json} ({@link DetectorFile}: method, hyper-parameters, threshold and
 * the false-alarm rate to expect, the held-out ID scores for p-values, preprocessing, the model's name and SHA-256,
 * engine and numerics mode, and the numbers of the fitted state) and only what the method needs to score: each
 * {@link Method.Need}'s arrays as raw big-endian float64 under {@code state/<need>/} (never boxed: a KNN bank is up to
 * 1 GiB), and for the OPNP methods the sensitivity ({@code sensitivity/}, Parquet, as {@code opnp sensitivity} writes
 * it), whose masks are rebuilt from it and the plan. Written by {@code evaluate} and {@code OodDetector.fit}; read by
 * {@code opnp detect}, the streaming monitor and the ML API. Format-1 bundles (before December 2026) still load.
 */
public final class DetectorBundle {
  public static final String FILE = "detector.json";
  public static final int FORMAT = DetectorFile.FORMAT;
  static final String STATE = "state";

  /** What evaluate knows beside the fitted state: the model and its preprocessing. */
  public record Context(InferenceConfig cfg) {}

  /**
   * One chosen detector, as evaluate hands it over.
   *
   * @param keep the share of held-out ID scores the threshold keeps
   * @param calibrationScores the held-out ID scores p-values are computed against
   * @param state the fitted state; the parts {@code spec}'s method needs are saved
   * @param selection how it was chosen, for the record
   */
  public record Fitted(DetectorSpec spec, FalseAlarmEstimate threshold, double keep, double[] calibrationScores,
                       FittedState state, Map<String, Object> selection) {}

  private DetectorBundle() {}

  /** Saves what evaluate (or {@code OodDetector.fit}) chose, fitted on the engine this JVM runs. */
  public static void save(SparkSession spark, String dir, Context context, Fitted f) {
    InferenceConfig cfg = context.cfg();
    FalseAlarmEstimate t = f.threshold();
    Detector d = new Detector(f.spec(), cfg.temperature(), f.keep(),
        new DecisionRule(t.threshold(), new ConformalPValues(f.calibrationScores()), t.estimate(), t.interval()),
        new ModelIdentity(cfg.modelName(), cfg.modelSha256(), cfg.weightParam(), cfg.biasParam()), cfg.preprocess(),
        f.state(), new Detector.Provenance(json(io.opnp.model.EngineProvenance.current(spark.sparkContext().isLocal())),
            json(f.selection())));
    save(spark, dir, d);
  }

  /**
   * Saves a detector in this version's format: each need of its method saves its own part of the state, then
   * {@code detector.json} is written last. {@code dir} must not exist (callers stage and commit it).
   */
  public static void save(SparkSession spark, String dir, Detector d) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Method method = d.spec().method();
    Map<String, Map<String, Number>> state = new LinkedHashMap<>();
    for (Method.Need need : d.spec().needs()) {
      Map<String, Number> numbers = new LinkedHashMap<>();
      need.part().save(d.state(), d.spec(), new FileStateOut(conf, dir, need, numbers));
      state.put(need.key(), numbers);
    }
    if (d.spec().usesPlan()) {
      SensitivityStore.save(spark, d.state().sensitivity(), dir + "/sensitivity", false);
    }
    DecisionRule rule = d.rule();
    boolean combined = d.spec().combination() != null && d.spec().combination() != Fusion.Combination.MIN;
    DetectorFile file = new DetectorFile(combined ? DetectorFile.FORMAT_COMBINED_FUSION : FORMAT, method.key(),
        d.spec().label(), d.spec().parameters(),
        d.temperature(),
        new DetectorFile.Threshold(d.keep(), rule.threshold(), DetectorFile.RULE, rule.expectedRate(),
            List.of(rule.expectedInterval().lower(), rule.expectedInterval().upper())),
        d.model(), DetectorFile.Preprocessing.of(d.preprocess()), parse(d.provenance().engine()),
        parse(d.provenance().selection()), state,
        rule.pValues().sortedScores());
    try {
      Outputs.create(conf, dir + "/" + FILE, DetectorFile.mapper().writeValueAsString(file) + "\n");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String json(Map<String, Object> m) {
    try {
      return m == null ? null : new ObjectMapper().writeValueAsString(m);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(String json) {
    try {
      return json == null || json.isBlank() ? null : new ObjectMapper().readValue(json, LinkedHashMap.class);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Reads a bundle of either format; fails naming the directory and what is wrong with it. */
  public static Detector load(SparkSession spark, String dir) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path file = new Path(dir, FILE);
    String text;
    JsonNode root;
    try {
      FileSystem fs = file.getFileSystem(conf);
      if (!fs.exists(file)) {
        throw new BadInputException("no detector at " + dir + " (" + FILE + " is missing); point --detector at the "
            + "detector/ directory that opnp evaluate wrote");
      }
      try (InputStream in = fs.open(file)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      root = new ObjectMapper().readTree(text);
    } catch (IOException e) {
      throw new BadInputException("cannot read " + file + " (" + e.getMessage() + "); the detector bundle is damaged: "
          + "write it again with opnp evaluate", e);
    }
    int format = root == null ? -1 : root.path("format").asInt(-1);
    try {
      return switch (format) {
        case 1 -> Format1Bundle.load(spark, dir, root);
        case FORMAT, DetectorFile.FORMAT_COMBINED_FUSION -> loadFormat2(spark, dir,
            DetectorFile.mapper().readValue(text, DetectorFile.class));
        default -> throw new BadInputException(file + " has format " + root.path("format") + "; this version reads "
            + "formats 1 to " + DetectorFile.FORMAT_COMBINED_FUSION + ": write it again with this version's opnp "
            + "evaluate");
      };
    } catch (IOException | NullPointerException | IllegalArgumentException e) {
      throw new BadInputException(file + " is incomplete or malformed (" + e.getMessage() + "); write it again with "
          + "opnp evaluate", e);
    }
  }

  private static Detector loadFormat2(SparkSession spark, String dir, DetectorFile f) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Method method = parseMethod(dir, f.method());
    DetectorSpec spec = DetectorSpec.fromSaved(method, f.parameters());
    FittedState.Builder state = FittedState.builder();
    for (Method.Need need : spec.needs()) {
      Map<String, Number> numbers = f.state().get(need.key());
      if (numbers == null) {
        throw new IllegalArgumentException("the state of " + need.key() + ", which method " + method.key()
            + " needs, is missing");
      }
      need.part().load(new FileStateIn(conf, dir, need, numbers), spec, state);
    }
    if (spec.usesPlan()) {
      state.sensitivity(SensitivityStore.load(spark, dir + "/sensitivity"));
    }
    DetectorFile.Threshold t = f.threshold();
    DecisionRule rule = new DecisionRule(t.threshold(), new ConformalPValues(f.calibrationScores()),
        t.expectedFalseAlarmRate(), new Interval(t.falseAlarmInterval95().get(0), t.falseAlarmInterval95().get(1),
        DecisionRule.LEVEL));
    return new Detector(spec, f.temperature(), t.keepIdShare(), rule, f.model(), f.preprocessing().toPreprocess(),
        state.build(), new Detector.Provenance(json(f.engine()), json(f.selection())));
  }

  static Method parseMethod(String dir, String name) {
    try {
      return Method.parse(name);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(dir + "/" + FILE + ": " + e.getMessage() + "; this version cannot score it: run "
          + "evaluate again", e);
    }
  }

  /** A need's numbers into {@code detector.json}, its arrays into {@code state/<need>/<name>.f64}. */
  private record FileStateOut(Configuration conf, String dir, Method.Need need, Map<String, Number> numbers)
      implements StateStore.Out {
    @Override
    public void number(String key, double value) {
      numbers.put(key, value);
    }

    @Override
    public void integer(String key, long value) {
      numbers.put(key, value);
    }

    @Override
    public void array(String name, double[]... parts) {
      RawDoubles.write(conf, dir + "/" + STATE + "/" + need.key() + "/" + name + ".f64", parts);
    }
  }

  private record FileStateIn(Configuration conf, String dir, Method.Need need, Map<String, Number> numbers)
      implements StateStore.In {
    @Override
    public double number(String key) {
      Number n = numbers.get(key);
      if (n == null) {
        throw new IllegalArgumentException("state." + need.key() + "." + key + " is missing");
      }
      return n.doubleValue();
    }

    @Override
    public long integer(String key) {
      double v = number(key);
      if (v != Math.rint(v)) {
        throw new IllegalArgumentException("state." + need.key() + "." + key + " must be a whole number, got " + v);
      }
      return (long) v;
    }

    @Override
    public double[] array(String name, long length) {
      return RawDoubles.read(conf, dir + "/" + STATE + "/" + need.key() + "/" + name + ".f64", length);
    }
  }
}
