package opnp_spark.ml;

import io.opnp.BadInputException;
import io.opnp.data.DatasetReader;
import io.opnp.data.ImageSchema;
import io.opnp.data.ValidationProxy;
import io.opnp.decision.Criterion;
import io.opnp.decision.FalseAlarmBootstrap;
import io.opnp.detect.DetectorBundle;
import io.opnp.eval.EvaluateJob;
import io.opnp.eval.CachedFeatures;
import io.opnp.eval.ModelPass;
import io.opnp.eval.PlanSweep;
import io.opnp.io.Outputs;
import io.opnp.spark.InferenceConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The detector as a Spark ML Estimator: {@code fit} makes the decision {@code opnp evaluate} makes
 * (one model pass for the feature cache and the sensitivity, the training statistics, OOD proxies
 * from the held-out rows, the plan sweep, every method over its grid, the choice by
 * {@code selectBy}, the threshold from the calibration half and its bootstrap interval) from one
 * DataFrame of in-distribution images, and returns the {@link OodDetectorModel} that flags inputs.
 * The same data give the same detector, threshold and scores as {@code evaluate} (tested).
 *
 * <p>Held-out rows follow MLlib's convention ({@code GBTClassifier}'s {@code validationIndicatorCol}):
 * rows where that boolean column is true are the held-out ID images (never in the sensitivity nor the
 * training statistics); without it, a share {@code validationFraction} of the rows is held out by a
 * hash of their id and {@code seed}. Rows where {@code oodIndicatorCol} is true are the user's own
 * validation OOD images ({@code evaluate --val-ood}).
 *
 * <pre>{@code
 * OodDetectorModel detector = new OodDetector().setModelPath("/dbfs/models/resnet50.pt")
 *     .setInputShape(3, 224, 224).setResizeShorter(256).setValidationIndicatorCol("held_out")
 *     .setWorkDir("dbfs:/tmp/opnp").fit(images);
 * Dataset<Row> flagged = detector.transform(incoming);   // ood_score, ood_pvalue, is_ood, prediction
 * }</pre>
 */
public final class OodDetector extends Estimator<OodDetectorModel> implements ModelParams, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(OodDetector.class);
  /** The names the roles take in the feature cache (and in evaluate's equivalent run). */
  public static final String TRAIN = "train";
  public static final String VAL_ID = "val-id";
  public static final String VAL_OOD = "val-ood";

  private final String uid;
  private final Holder params;
  private final Param<String> validationIndicatorCol;
  private final DoubleParam validationFraction;
  private final LongParam seed;
  private final Param<String> oodIndicatorCol;
  private final Param<String> proxies;
  private final Param<String> selectBy;
  private final Param<String> choose;
  private final DoubleParam minClassCoverage;
  private final Param<String> sweep;
  private final DoubleParam keepId;
  private final IntParam knnBankSize;
  private final IntParam valLimit;
  private final Param<String> workDir;
  private final Param<String> featuresCol;
  private final Param<String> logitsCol;

  public OodDetector() {
    this(Identifiable$.MODULE$.randomUID("oodDetector"));
  }

  public OodDetector(String uid) {
    this.uid = uid;
    this.params = new Holder(this);
    validationIndicatorCol = new Param<String>(this, "validationIndicatorCol", "boolean column: true for the "
        + "held-out ID images that choose the detector and set its threshold (unset: validationFraction of the rows "
        + "by a hash of their id)");
    validationFraction = new DoubleParam(this, "validationFraction", "share of rows held out when "
        + "validationIndicatorCol is unset", ParamValidators.inRange(0, 1, false, false));
    seed = new LongParam(this, "seed", "seed of the held-out split when validationIndicatorCol is unset");
    oodIndicatorCol = new Param<String>(this, "oodIndicatorCol", "optional boolean column: true for the user's own "
        + "validation OOD images (never test data); they count beside the proxies");
    proxies = new Param<String>(this, "proxies", "validation OOD proxies made from the held-out ID images, "
        + "comma-separated among shuffle, permute, blur, rotate, lfnoise (empty: none, then oodIndicatorCol is needed)");
    selectBy = new Param<String>(this, "selectBy", "criterion over the proxies' AUROCs: mean or worst");
    choose = new Param<String>(this, "choose", "how the detector follows from the validation ranking: fusion (the "
        + "harmonic mean of the conformal p-values of the leading configurations of the two method families best on "
        + "their worst validation OOD set: a hedge against the proxies' bias) or best (the configuration ranked first)",
        ParamValidators.inArray(new String[] {"fusion", "best"}));
    minClassCoverage = new DoubleParam(this, "minClassCoverage", "percent of the classifier's classes the training "
        + "rows must hold for the methods fitted class by class (Mahalanobis, KNN, ViM and the other distances) to be "
        + "recommended; they call images of missing classes out-of-distribution. 0 when the ID data is only the "
        + "training rows' classes", ParamValidators.inRange(0, 100, true, true));
    sweep = new Param<String>(this, "sweep", "OPNP plan search: auto, grid or coordinate",
        ParamValidators.inArray(new String[] {"auto", "grid", "coordinate"}));
    keepId = new DoubleParam(this, "keepId", "percent of ID inputs the threshold keeps, in (50, 100)",
        ParamValidators.inRange(50, 100, false, false));
    knnBankSize = new IntParam(this, "knnBankSize", "training features in the KNN bank: 0 (all) or a sample size",
        ParamValidators.gtEq(0));
    valLimit = new IntParam(this, "valLimit", "validation images per side for the sweep", ParamValidators.gt(0));
    workDir = new Param<String>(this, "workDir", "folder every executor can read (HDFS, S3, DBFS; a local one in "
        + "local mode) for the feature cache and the detector during fit, removed when fit returns; unset: the "
        + "checkpoint folder, or a temporary folder in local mode");
    featuresCol = new Param<String>(this, "featuresCol", "optional array column of the model's features (its "
        + "last layer's input) for each row: set with logitsCol to fit from a feature cache without running the model "
        + "(the model file still gives the head); no proxies are made then, so mark OOD validation rows "
        + "(oodIndicatorCol)");
    logitsCol = new Param<String>(this, "logitsCol", "optional array column of the model's logits, with featuresCol");
    ModelParams.setDefaults(this);
    setDefault(validationFraction, 0.1);
    setDefault(seed, 20231127L);
    setDefault(proxies, "shuffle,permute,blur,rotate,lfnoise");
    setDefault(selectBy, "mean");
    setDefault(choose, "fusion");
    setDefault(minClassCoverage, 100 * io.opnp.decision.ClassCoverage.DEFAULT_MIN_SHARE);
    setDefault(sweep, "auto");
    setDefault(keepId, 95.0);
    setDefault(knnBankSize, 0);
    setDefault(valLimit, 5000);
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Holder opnpParams() {
    return params;
  }

  public Param<String> validationIndicatorCol() {
    return validationIndicatorCol;
  }

  public DoubleParam validationFraction() {
    return validationFraction;
  }

  public LongParam seed() {
    return seed;
  }

  public Param<String> oodIndicatorCol() {
    return oodIndicatorCol;
  }

  public Param<String> proxies() {
    return proxies;
  }

  public Param<String> selectBy() {
    return selectBy;
  }

  public Param<String> choose() {
    return choose;
  }

  public DoubleParam minClassCoverage() {
    return minClassCoverage;
  }

  public Param<String> sweep() {
    return sweep;
  }

  public DoubleParam keepId() {
    return keepId;
  }

  public IntParam knnBankSize() {
    return knnBankSize;
  }

  public IntParam valLimit() {
    return valLimit;
  }

  public Param<String> workDir() {
    return workDir;
  }

  public Param<String> featuresCol() {
    return featuresCol;
  }

  public Param<String> logitsCol() {
    return logitsCol;
  }

  public OodDetector setFeaturesCol(String value) {
    set(featuresCol, value);
    return this;
  }

  public OodDetector setLogitsCol(String value) {
    set(logitsCol, value);
    return this;
  }

  /** Whether this fit reads the model's outputs from the DataFrame instead of running the model. */
  private boolean fromFeatures() {
    return isDefined(featuresCol) || isDefined(logitsCol);
  }

  public OodDetector setModelPath(String value) {
    set(modelPath(), value);
    return this;
  }

  public OodDetector setWeightParam(String value) {
    set(weightParam(), value);
    return this;
  }

  public OodDetector setBiasParam(String value) {
    set(biasParam(), value);
    return this;
  }

  public OodDetector setInputShape(int channels, int height, int width) {
    set(inputShape(), new int[] {channels, height, width});
    return this;
  }

  public OodDetector setNormalization(double[] mean, double[] std) {
    set(mean(), mean);
    set(std(), std);
    return this;
  }

  public OodDetector setResizeShorter(int value) {
    set(resizeShorter(), value);
    return this;
  }

  public OodDetector setBatchSize(int value) {
    set(batchSize(), value);
    return this;
  }

  public OodDetector setTemperature(double value) {
    set(temperature(), value);
    return this;
  }

  public OodDetector setImageCol(String value) {
    set(imageCol(), value);
    return this;
  }

  public OodDetector setIdCol(String value) {
    set(idCol(), value);
    return this;
  }

  public OodDetector setLabelCol(String value) {
    set(labelCol(), value);
    return this;
  }

  public OodDetector setValidationIndicatorCol(String value) {
    set(validationIndicatorCol, value);
    return this;
  }

  public OodDetector setValidationFraction(double value) {
    set(validationFraction, value);
    return this;
  }

  public OodDetector setSeed(long value) {
    set(seed, value);
    return this;
  }

  public OodDetector setOodIndicatorCol(String value) {
    set(oodIndicatorCol, value);
    return this;
  }

  public OodDetector setProxies(String value) {
    set(proxies, value);
    return this;
  }

  public OodDetector setSelectBy(String value) {
    set(selectBy, value);
    return this;
  }

  public OodDetector setChoose(String value) {
    set(choose, value);
    return this;
  }

  public OodDetector setMinClassCoverage(double value) {
    set(minClassCoverage, value);
    return this;
  }

  public OodDetector setSweep(String value) {
    set(sweep, value);
    return this;
  }

  public OodDetector setKeepId(double value) {
    set(keepId, value);
    return this;
  }

  public OodDetector setKnnBankSize(int value) {
    set(knnBankSize, value);
    return this;
  }

  public OodDetector setValLimit(int value) {
    set(valLimit, value);
    return this;
  }

  public OodDetector setWorkDir(String value) {
    set(workDir, value);
    return this;
  }

  /** The options of one fit, checked in one place before anything runs. */
  private record Options(InferenceConfig cfg, List<ValidationProxy> proxies, EvaluateJob.Decision decision,
                         String workDir) {}

  private Options options(SparkSession spark) {
    List<ValidationProxy> made;
    Criterion criterion;
    EvaluateJob.SweepMode mode;
    io.opnp.decision.ChoiceRule rule;
    try {
      made = ValidationProxy.parseList($(proxies));
      criterion = Criterion.parse($(selectBy));
      mode = EvaluateJob.SweepMode.valueOf($(sweep).toUpperCase(Locale.ROOT));
      rule = io.opnp.decision.ChoiceRule.parse($(choose));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("OodDetector: " + e.getMessage(), e);
    }
    if (fromFeatures()) {
      if (isSet(proxies) && !made.isEmpty()) {
        throw new BadInputException("OodDetector: proxies are made from images, but this fit reads features "
            + "(featuresCol); setProxies(\"\") and mark OOD validation rows with setOodIndicatorCol");
      }
      made = List.of();
      if (!isDefined(oodIndicatorCol)) {
        throw new BadInputException("OodDetector: a fit from features (featuresCol) makes no proxies; mark your own "
            + "OOD validation rows with setOodIndicatorCol");
      }
    }
    if (made.isEmpty() && !isDefined(oodIndicatorCol)) {
      throw new BadInputException("OodDetector: no validation OOD data; keep some proxies (setProxies) or mark your "
          + "own OOD validation rows (setOodIndicatorCol)");
    }
    InferenceConfig cfg = inferenceConfig();
    EvaluateJob.Decision decision = new EvaluateJob.Decision((Double) $(keepId) / 100, criterion,
        FalseAlarmBootstrap.DEFAULT_RESAMPLES, mode, rule, (Double) $(minClassCoverage) / 100);
    return new Options(cfg, made, decision, workFolder(spark));
  }

  private String workFolder(SparkSession spark) {
    String base;
    if (isDefined(workDir)) {
      base = $(workDir);
    } else if (spark.sparkContext().getCheckpointDir().isDefined()) {
      base = spark.sparkContext().getCheckpointDir().get();
    } else if (spark.sparkContext().isLocal()) {
      base = System.getProperty("java.io.tmpdir") + "/opnp-work";
    } else {
      throw new BadInputException("OodDetector: set workDir to a folder every executor can read (HDFS, S3, DBFS, "
          + "e.g. setWorkDir(\"dbfs:/tmp/opnp\")), or a checkpoint folder (spark.sparkContext.setCheckpointDir): "
          + "the feature cache of the fit goes there");
    }
    return new org.apache.hadoop.fs.Path(base, uid + "-" + java.util.UUID.randomUUID()).toString();
  }

  @Override
  public OodDetectorModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    SparkSession spark = dataset.sparkSession();
    Options o = options(spark);
    var conf = spark.sparkContext().hadoopConfiguration();
    String cache = o.workDir() + "/features";
    String bundle = o.workDir() + "/detector";
    OodDetectorModel model;
    LOG.info("OodDetector: fitting in {} (removed afterwards: the fitted model holds its detector in memory and saves "
        + "it itself)", o.workDir());
    try {
      // 1. The roles, from the indicator columns: training rows, held-out ID rows, the user's OOD rows.
      Dataset<Row> all = dataset.toDF();
      Column held = heldOut(all);
      Column ood = isDefined(oodIndicatorCol) ? functions.coalesce(functions.col($(oodIndicatorCol)),
          functions.lit(false)) : functions.lit(false);
      Dataset<Row> trainRows = all.where(functions.not(held).and(functions.not(ood)));
      Dataset<Row> valIdRows = all.where(held.and(functions.not(ood)));
      List<String> proxyNames = new ArrayList<>();
      for (ValidationProxy p : o.proxies()) {
        proxyNames.add(p.datasetName(VAL_ID));
      }
      if (isDefined(oodIndicatorCol)) {
        proxyNames.add(VAL_OOD);
      }
      // 2. The feature cache and the training set's sensitivity: one model pass, or the user's own features.
      ModelPass.Outcome pass;
      if (fromFeatures()) {
        pass = CachedFeatures.write(spark, o.cfg(), List.of(featureRows(trainRows, TRAIN), featureRows(valIdRows, VAL_ID),
            featureRows(all.where(ood), VAL_OOD)), TRAIN, cache);
      } else {
        List<Dataset<Row>> others = new ArrayList<>();
        if (isDefined(oodIndicatorCol)) {
          others.add(role(all.where(ood), VAL_OOD));
        }
        ModelPass.Sets sets = new ModelPass.Sets(new ModelPass.Named(TRAIN, role(trainRows, TRAIN)),
            new ModelPass.Named(VAL_ID, role(valIdRows, VAL_ID)), null, others, o.proxies(), (Integer) $(valLimit));
        pass = ModelPass.run(spark, o.cfg(), sets,
            List.of("OodDetector " + uid, "proxies:" + ValidationProxy.keys(o.proxies())), cache, false, null);
      }
      // 3. The decision evaluate makes, on validation data only, saved as a detector bundle.
      EvaluateJob.Roles roles = new EvaluateJob.Roles(TRAIN, VAL_ID, proxyNames, null, List.of(),
          (Integer) $(knnBankSize), (Integer) $(valLimit));
      var recommendation = EvaluateJob.on(spark, pass.sensitivity(), pass.head(), cache).roles(roles)
          .grid(PlanSweep.defaultGrid()).decision(o.decision()).bundle(new DetectorBundle.Context(o.cfg()))
          .output(bundle, false).fitDetector();
      LOG.info("OodDetector: chose {}; {}", recommendation.label(), recommendation.why());
      // Read back the bundle the job committed: the model scores exactly what evaluate's bundle would.
      model = OodDetectorModel.fromBundle(spark, bundle, uid);
    } finally {
      Outputs.delete(conf, o.workDir());
    }
    return model.setModelPath($(modelPath())).setImageCol($(imageCol())).setBatchSize((Integer) $(batchSize()))
        .setParent(this);
  }

  /**
   * Whether a row is held out: the indicator column, else a hash of its id against validationFraction. Only the id's
   * portable part is hashed ({@link ValidationProxy#portable}: a path keeps its class folder and file), so the same
   * images are held out wherever the data is stored, as evaluate holds them out.
   */
  Column heldOut(Dataset<Row> all) {
    if (isDefined(validationIndicatorCol)) {
      return functions.coalesce(functions.col($(validationIndicatorCol)), functions.lit(false));
    }
    long buckets = 1_000_000L;
    Column portable = functions.udf(
        (org.apache.spark.sql.api.java.UDF1<String, String>) OodDetector::portableId,
        org.apache.spark.sql.types.DataTypes.StringType)
        .apply(functions.col($(idCol())).cast("string"));
    Column bucket = functions.pmod(functions.xxhash64(portable, functions.lit((Long) $(seed))),
        functions.lit(buckets));
    return bucket.lt(functions.lit(Math.round((Double) $(validationFraction) * buckets)));
  }

  private static String portableId(String id) {
    return id == null ? null : ValidationProxy.portable(id);
  }

  private Dataset<Row> role(Dataset<Row> rows, String name) {
    return DatasetReader.normalize(rows, "the DataFrame given to OodDetector.fit (" + name + " rows)", $(imageCol()),
        $(idCol()), $(labelCol()), name).select(ImageSchema.ID, ImageSchema.IMAGE, ImageSchema.LABEL,
        ImageSchema.DATASET);
  }

  /** Rows of the user's features and logits as feature-cache rows of dataset {@code name}. */
  private Dataset<Row> featureRows(Dataset<Row> rows, String name) {
    return CachedFeatures.rows(rows, $(idCol()), $(labelCol()), $(featuresCol), $(logitsCol), name);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    List<String> names = Arrays.asList(schema.fieldNames());
    if (fromFeatures()) {
      if (!isDefined(featuresCol) || !isDefined(logitsCol)) {
        throw new BadInputException("OodDetector: set both featuresCol and logitsCol to fit from features (set: "
            + (isDefined(featuresCol) ? "featuresCol" : "logitsCol") + ")");
      }
      Columns.requireNumberArray(schema, $(featuresCol));
      Columns.requireNumberArray(schema, $(logitsCol));
      if (!names.contains($(labelCol()))) {
        throw new BadInputException("the DataFrame has no label column '" + $(labelCol()) + "' (columns: " + names
            + "); the training rows' labels are needed: set labelCol");
      }
    } else {
      Columns.requireImage(schema, $(imageCol()));
    }
    if (!isDefined(validationIndicatorCol) && !names.contains($(idCol()))) {
      throw new BadInputException("the DataFrame has no id column '" + $(idCol()) + "' to hold rows out by (columns: "
          + names + "); set idCol, or mark the held-out rows with setValidationIndicatorCol");
    }
    for (Param<String> p : List.of(validationIndicatorCol, oodIndicatorCol)) {
      if (isDefined(p)) {
        String c = $(p);
        if (!names.contains(c) || !(schema.apply(c).dataType() instanceof BooleanType)) {
          throw new BadInputException(p.name() + " '" + c + "' must name a boolean column of the DataFrame (columns: "
              + names + ")");
        }
      }
    }
    return io.opnp.spark.AppendDetection.schema(schema);
  }

  @Override
  public OodDetector copy(ParamMap extra) {
    return (OodDetector) defaultCopy(extra);
  }

  public static MLReader<OodDetector> read() {
    return new DefaultParamsReader<>();
  }

  public static OodDetector load(String path) {
    return read().load(path);
  }
}
