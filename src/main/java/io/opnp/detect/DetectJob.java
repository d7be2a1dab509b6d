package io.opnp.detect;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.opnp.BadInputException;
import io.opnp.data.DatasetReader;
import io.opnp.data.FolderListing;
import io.opnp.data.DatasetSpec;
import io.opnp.data.ImageSchema;
import io.opnp.decision.DecisionRule;
import io.opnp.decision.Interval;
import io.opnp.io.Outputs;
import io.opnp.io.StagedOutputs;
import io.opnp.math.LinearHead;
import io.opnp.model.HeadReader;
import io.opnp.spark.AppendDetection;
import io.opnp.spark.ExecutorModels;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.RowLayout;
import io.opnp.spark.Stages;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Scores new data with a saved detector: per image the score, p-value, flag and predicted class
 * (Parquet, by dataset), and per dataset the share flagged out-of-distribution with its 95 % interval
 * against the rate the detector expects of in-distribution data.
 */
public final class DetectJob {
  /** One input's verdict; {@code files} is what a folder's listing left out (null for other formats). */
  public record DatasetSummary(String dataset, long images, long scored, long flagged, double flaggedShare,
                               Interval interval, double expected, boolean unlikeInDistribution,
                               FolderListing.Inventory files) {}

  /** The per-image output, dataset as its partition column. */
  public static final org.apache.spark.sql.types.StructType SCORES = new org.apache.spark.sql.types.StructType()
      .add(ImageSchema.ID, org.apache.spark.sql.types.DataTypes.StringType)
      .add(ImageSchema.LABEL, org.apache.spark.sql.types.DataTypes.LongType)
      .add(AppendDetection.SCORE, org.apache.spark.sql.types.DataTypes.DoubleType)
      .add(AppendDetection.PVALUE, org.apache.spark.sql.types.DataTypes.DoubleType)
      .add(AppendDetection.IS_OOD, org.apache.spark.sql.types.DataTypes.BooleanType)
      .add(AppendDetection.PREDICTION, org.apache.spark.sql.types.DataTypes.IntegerType)
      .add(AppendDetection.SKIP_REASON, org.apache.spark.sql.types.DataTypes.StringType)
      .add(ImageSchema.DATASET, org.apache.spark.sql.types.DataTypes.StringType);

  /** The model as the detector needs it (its preprocessing, head names and temperature), checked by SHA-256. */
  public static InferenceConfig config(Detector d, io.opnp.io.ModelRef model, int batchSize,
                                       int torchThreads, boolean skipBadImages, int decodeThreads) {
    d.checkModel(model.location(), model.sha256(), exportedFrom(model));
    return new InferenceConfig(model, d.model().weightParam(), d.model().biasParam(), d.preprocess(), batchSize,
        torchThreads, d.temperature(), skipBadImages, decodeThreads, io.opnp.model.Precision.AUTO);
  }

  /** The model this one was exported from, per the card of the driver's staged copy. */
  private static java.util.Optional<String> exportedFrom(io.opnp.io.ModelRef model) {
    return io.opnp.io.ModelStaging.local(model).flatMap(io.opnp.model.ModelCards::exportedFrom);
  }

  /** The detector's scoring method on the model's own head, ready to broadcast. */
  public static AppendDetection.Scorer scorer(SparkSession spark, Detector d, InferenceConfig cfg) {
    d.checkModel(cfg.modelName(), cfg.modelSha256(), exportedFrom(cfg.model()));
    ExecutorModels.ship(spark, cfg);
    LinearHead head = HeadReader.read(ExecutorModels.model(cfg), cfg.weightParam(), cfg.biasParam());
    return new AppendDetection.Scorer(d.scorer(head), d.rule());
  }

  private final SparkSession spark;
  private final Detector d;
  private final InferenceConfig cfg;
  private List<DatasetSpec> inputs = List.of();
  private int limit = Integer.MAX_VALUE;
  private int partitions;
  private String output;
  private boolean overwrite;

  private DetectJob(SparkSession spark, Detector d, InferenceConfig cfg) {
    this.spark = spark;
    this.d = d;
    this.cfg = cfg;
  }

  /** A job scoring images with detector {@code d} on the model {@code cfg} runs ({@link #config}); then execute(). */
  public static DetectJob on(SparkSession spark, Detector d, InferenceConfig cfg) {
    return new DetectJob(spark, d, cfg);
  }

  /** The datasets to score (required, names distinct). */
  public DetectJob inputs(List<DatasetSpec> specs) {
    this.inputs = List.copyOf(specs);
    return this;
  }

  /** At most {@code n} images per dataset (default: all). */
  public DetectJob limit(int n) {
    this.limit = n;
    return this;
  }

  /** Partitions to read each dataset into (0: Spark's choice). */
  public DetectJob partitions(int n) {
    this.partitions = n;
    return this;
  }

  /** Where the outputs go (required), replacing existing ones only when {@code replace}. */
  public DetectJob output(String dir, boolean replace) {
    this.output = dir;
    this.overwrite = replace;
    return this;
  }

  /** The options, checked in one place before any work. */
  private void checkOptions() {
    requireInputs(inputs);
    io.opnp.math.Check.argument(limit > 0, "limit must be positive, got %s", limit);
    io.opnp.math.Check.argument(partitions >= 0, "partitions must be >= 0, got %s", partitions);
    io.opnp.math.Check.argument(output != null, "detect needs an output directory (output(...))");
  }

  /** Scores every input, then one commit: the scores, summary.md and summary.json (last: it marks a complete run). */
  public List<DatasetSummary> execute() {
    checkOptions();
    var conf = spark.sparkContext().hadoopConfiguration();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    try (StagedOutputs out = new StagedOutputs(conf, output, List.of("scores", "summary.md", "summary.json"),
        overwrite)) {
      Map<String, FolderListing.Inventory> files = new LinkedHashMap<>();
      Dataset<Row> images = read(files);
      score(jsc, images, out.path("scores"));
      List<DatasetSummary> summaries = summarize(out.path("scores"), files);
      Outputs.create(conf, out.path("summary.json"), json(d, summaries));
      Outputs.create(conf, out.path("summary.md"), markdown(d, summaries));
      out.commit();
      return summaries;
    } finally {
      Stages.clear(jsc);
    }
  }

  /** Stage 1: every input as one DataFrame of images; what each folder's listing left out goes into {@code files}. */
  private Dataset<Row> read(Map<String, FolderListing.Inventory> files) {
    Dataset<Row> all = null;
    for (DatasetSpec s : inputs) {
      DatasetReader.Opened opened = DatasetReader.open(spark, s, limit, partitions);
      files.put(s.name(), opened.files());
      all = all == null ? opened.rows() : all.unionByName(opened.rows());
    }
    return all;
  }

  /** Stage 2: the detector's score, p-value, flag and prediction of every image, by dataset. */
  private void score(JavaSparkContext jsc, Dataset<Row> images, String path) {
    AppendDetection.Scorer scorer = scorer(spark, d, cfg);
    Stages.describe(jsc, "opnp detect: " + d.spec().label() + " on " + inputs.size() + " dataset(s)");
    AppendDetection.apply(images, cfg, RowLayout.STANDARD, scorer)
        .select(col(ImageSchema.ID), col(ImageSchema.DATASET), col(ImageSchema.LABEL), col(AppendDetection.SCORE),
            col(AppendDetection.PVALUE), col(AppendDetection.IS_OOD), col(AppendDetection.PREDICTION),
            col(AppendDetection.SKIP_REASON))
        .write().partitionBy(ImageSchema.DATASET).parquet(path);
  }

  /** Stage 3: each dataset's flagged share, its interval and the verdict against in-distribution data. */
  private List<DatasetSummary> summarize(String scores, Map<String, FolderListing.Inventory> files) {
    // Typed: a dataset named like a number or a date must stay a string.
    List<Row> counts = spark.read().schema(SCORES).parquet(scores).groupBy(ImageSchema.DATASET)
        .agg(count("*"), count(AppendDetection.SCORE), sum(when(col(AppendDetection.IS_OOD), 1).otherwise(0)))
        .collectAsList();
    Map<String, Row> byName = new LinkedHashMap<>();
    counts.forEach(r -> byName.put(r.getString(0), r));
    List<DatasetSummary> out = new ArrayList<>();
    for (DatasetSpec s : inputs) {
      Row r = byName.get(s.name());
      long images = r == null ? 0 : r.getLong(1);
      long scored = r == null ? 0 : r.getLong(2);
      long flagged = r == null || r.isNullAt(3) ? 0 : r.getLong(3);
      DecisionRule.Share share = DecisionRule.Share.of(flagged, scored);
      out.add(new DatasetSummary(s.name(), images, scored, flagged, share.rate(), share.interval(),
          d.expectedFalseAlarmRate(), d.rule().shifted(share), files.get(s.name())));
    }
    return out;
  }

  static String json(Detector d, List<DatasetSummary> rows) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("detector", d.spec().label());
    root.put("threshold", d.threshold());
    root.put("expected_id_flag_rate", d.expectedFalseAlarmRate());
    root.put("model_sha256", d.model().sha256());
    root.put("engine", io.opnp.model.EngineProvenance.current(true));
    Map<String, Object> sets = new LinkedHashMap<>();
    for (DatasetSummary s : rows) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("images", s.images());
      x.put("scored", s.scored());
      x.put("skipped", s.images() - s.scored());
      x.put("flagged_ood", s.flagged());
      x.put("ood_rate", s.flaggedShare());
      x.put("ood_rate_interval_95", List.of(s.interval().lower(), s.interval().upper()));
      x.put("unlike_in_distribution", s.unlikeInDistribution());
      if (s.files() != null) {
        x.put("ignored_files", s.files().ignored());
        x.put("ignored_examples", s.files().ignoredExamples());
        x.put("hidden_entries", s.files().hidden());
        x.put("symlink_cycles", s.files().cycles());
      }
      sets.put(s.dataset(), x);
    }
    root.put("datasets", sets);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String markdown(Detector d, List<DatasetSummary> rows) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "Detector **%s**, threshold %.6g; in-distribution "
        + "data is expected to be flagged at %.2f %% (95 %% interval %.2f–%.2f %%); a set whose own interval does not "
        + "overlap that one is marked shifted.%n%n| dataset | images | flagged OOD | rate (95 %% interval) | "
        + "verdict |%n|---|---:|---:|---:|---|%n", d.spec().label(), d.threshold(), 100 * d.expectedFalseAlarmRate(),
        100 * d.rule().expectedInterval().lower(), 100 * d.rule().expectedInterval().upper()));
    for (DatasetSummary s : rows) {
      sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %.2f %% (%.2f–%.2f) | %s |%n", s.dataset(), s.scored(),
          s.flagged(), 100 * s.flaggedShare(), 100 * s.interval().lower(), 100 * s.interval().upper(),
          s.scored() == 0 ? "no images" : s.unlikeInDistribution() ? "**shifted**: rate unlike in-distribution data"
              : "consistent with in-distribution data"));
    }
    for (DatasetSummary s : rows) {
      if (s.images() > s.scored() || (s.files() != null && (s.files().ignored() > 0 || !s.files().cycles().isEmpty()))) {
        sb.append(String.format(Locale.ROOT, "%n%s: %d image(s) skipped as unreadable (their reason in the scores' "
            + "skip_reason column)%s", s.dataset(), s.images() - s.scored(),
            s.files() == null ? "" : "; files: " + s.files().describe()));
      }
    }
    return sb.toString();
  }

  private static void requireInputs(List<DatasetSpec> inputs) {
    if (inputs.isEmpty()) {
      throw new BadInputException("opnp detect needs at least one --input NAME=FORMAT:PATH");
    }
  }
}
