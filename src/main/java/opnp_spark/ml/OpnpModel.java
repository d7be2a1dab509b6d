package opnp_spark.ml;

import io.opnp.BadInputException;
import io.opnp.io.SensitivityStore;
import io.opnp.math.LinearHead;
import io.opnp.math.PruningPercentages;
import io.opnp.math.Sensitivity;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.Method;
import io.opnp.model.HeadReader;
import io.opnp.spark.AppendScores;
import io.opnp.spark.ExecutorModels;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.RowLayout;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * The fitted OPNP model (a Transformer): holds the training set's sensitivities and adds an OOD
 * score column (higher = more in-distribution) and a predicted-class column to a DataFrame of
 * images. The score is that of {@code method}, any method of the method table ({@link Method}) that
 * needs nothing fitted beyond the head and the sensitivity ({@link #METHODS}), built as every
 * other entry point builds it ({@link DetectorSpec#build}). Immutable apart from its parameters;
 * saved and loaded with {@code write()/load()}.
 */
public final class OpnpModel extends Model<OpnpModel> implements OpnpParams, MLWritable {
  private static final long serialVersionUID = 1L;
  /**
   * The method names {@code method} takes, in table order: the table's methods that need no fitted
   * state but the sensitivity (today msp, maxlogit, energy, gen, the ASH variants, scale, gradnorm,
   * opnp and the OPNP compositions with ASH and SCALE, at their papers' defaults).
   */
  public static final List<String> METHODS = AppendScores.METHODS;

  private final String uid;
  private final Holder params;
  private final Sensitivity sensitivity;
  private final DoubleParam rhoWMax;
  private final DoubleParam rhoWMin;
  private final DoubleParam rhoOMax;
  private final DoubleParam rhoOMin;
  private final Param<String> method;

  /**
   * A model with no sensitivity, as Spark's own models have for describing their Params (the Python
   * wrappers are generated from them); it refuses to transform. Load or fit a model instead.
   */
  public OpnpModel() {
    this(org.apache.spark.ml.util.Identifiable$.MODULE$.randomUID("opnp"), null);
  }

  public OpnpModel(String uid, Sensitivity sensitivity) {
    this.uid = uid;
    this.sensitivity = sensitivity;
    this.params = new Holder(this);
    OpnpParams.setDefaults(this);
    String pct = "percent (0-100) of the ";
    rhoWMax = new DoubleParam(this, "rhoWMax", pct + "weights with the largest sensitivity to remove", ParamValidators.inRange(0, 100));
    rhoWMin = new DoubleParam(this, "rhoWMin", pct + "weights with the smallest sensitivity to remove", ParamValidators.inRange(0, 100));
    rhoOMax = new DoubleParam(this, "rhoOMax", pct + "neurons with the largest sensitivity to remove", ParamValidators.inRange(0, 100));
    rhoOMin = new DoubleParam(this, "rhoOMin", pct + "neurons with the smallest sensitivity to remove", ParamValidators.inRange(0, 100));
    method = new Param<String>(this, "method", "OOD method of the method table that scores: one of " + METHODS
        + "; 'opnp' (energy through the pruned head) by default", ParamValidators.inArray(METHODS.toArray(new String[0])));
    setDefault(rhoWMax, PruningPercentages.PAPER_RESNET50.rhoWMax());
    setDefault(rhoWMin, PruningPercentages.PAPER_RESNET50.rhoWMin());
    setDefault(rhoOMax, PruningPercentages.PAPER_RESNET50.rhoOMax());
    setDefault(rhoOMin, PruningPercentages.PAPER_RESNET50.rhoOMin());
    setDefault(method, "opnp");
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Holder opnpParams() {
    return params;
  }

  public Sensitivity sensitivity() {
    return sensitivity;
  }

  public DoubleParam rhoWMax() {
    return rhoWMax;
  }

  public DoubleParam rhoWMin() {
    return rhoWMin;
  }

  public DoubleParam rhoOMax() {
    return rhoOMax;
  }

  public DoubleParam rhoOMin() {
    return rhoOMin;
  }

  public Param<String> method() {
    return method;
  }

  public OpnpModel setPercentages(double wMax, double wMin, double oMax, double oMin) {
    new PruningPercentages(wMax, wMin, oMax, oMin);  // checks the pair sums before anything is set
    set(rhoWMax, wMax);
    set(rhoWMin, wMin);
    set(rhoOMax, oMax);
    set(rhoOMin, oMin);
    return this;
  }

  /** One of {@link #METHODS}, in any case; fails naming them. */
  public OpnpModel setMethod(String value) {
    set(method, parseMethod(value).key());
    return this;
  }

  /** The method named {@code name} if this model can score it; fails naming the ones it can. */
  static Method parseMethod(String name) {
    Method m;
    try {
      m = Method.parse(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown OOD method '" + name + "'; OpnpModel takes " + METHODS, e);
    }
    if (!METHODS.contains(m.key())) {
      throw new IllegalArgumentException("method " + m + " needs state fitted on the training features, which an "
          + "OpnpModel does not hold; OpnpModel takes " + METHODS + " (evaluate's saved detector, loaded as "
          + "OodDetectorModel, scores with every method)");
    }
    return m;
  }

  public OpnpModel setScoreCol(String value) {
    set(scoreCol(), value);
    return this;
  }

  public OpnpModel setPredictionCol(String value) {
    set(predictionCol(), value);
    return this;
  }

  public OpnpModel setModelPath(String value) {
    set(modelPath(), value);
    return this;
  }

  public OpnpModel setImageCol(String value) {
    set(imageCol(), value);
    return this;
  }

  /** Images whose header announces more pixels are refused before decoding; see {@link io.opnp.data.Preprocess}. */
  public OpnpModel setMaxImagePixels(long value) {
    set(maxImagePixels(), value);
    return this;
  }

  public OpnpModel setDecodeThreads(int value) {
    set(decodeThreads(), value);
    return this;
  }

  /** auto, fp32, fp16 or bf16: see {@link io.opnp.model.Precision}. */
  public OpnpModel setPrecision(String value) {
    set(precision(), value);
    return this;
  }

  public OpnpModel setBatchSize(int value) {
    set(batchSize(), value);
    return this;
  }

  public PruningPercentages percentages() {
    return new PruningPercentages((Double) $(rhoWMax), (Double) $(rhoWMin), (Double) $(rhoOMax), (Double) $(rhoOMin));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    if (sensitivity == null) {
      throw new BadInputException("this OpnpModel holds no sensitivity: fit an OpnpEstimator or OpnpModel.load a "
          + "saved one");
    }
    StructType in = dataset.schema();
    transformSchema(in);
    InferenceConfig cfg = inferenceConfig();
    if (sensitivity.modelSha256() != null && !sensitivity.modelSha256().equals(cfg.modelSha256())) {
      throw new BadInputException("this OpnpModel was fitted on model " + sensitivity.modelName() + " (sha256 "
          + sensitivity.modelSha256() + "), not on " + cfg.modelName() + "; set modelPath to that file or fit again");
    }
    if (sensitivity.temperature() != cfg.temperature()) {
      throw new BadInputException("this OpnpModel's sensitivities were computed at temperature "
          + sensitivity.temperature() + " but temperature is set to " + cfg.temperature() + "; use the same value");
    }
    ExecutorModels.ship(dataset.sparkSession(), cfg);
    var loaded = ExecutorModels.model(cfg);
    // Here, not lazily in the tasks: a precision the model was not exported in is the caller's error.
    cfg.precision().inputType(io.opnp.model.LoadedModels.parameterType(loaded), cfg.modelName());
    LinearHead head = HeadReader.read(loaded, cfg.weightParam(), cfg.biasParam());
    if (head.classes() != sensitivity.classes() || head.dim() != sensitivity.dim()) {
      throw new BadInputException(String.format("the sensitivities are %dx%d but the model's head is %dx%d",
          sensitivity.classes(), sensitivity.dim(), head.classes(), head.dim()));
    }
    Method m = parseMethod($(method));  // once, at the boundary: a saved model's value too
    DetectorSpec spec = m.usesPlan() ? DetectorSpec.of(m).withPlan(percentages()) : DetectorSpec.of(m);
    StructField image = in.apply($(imageCol()));
    RowLayout layout = new RowLayout($(imageCol()), image.dataType() instanceof StructType,
        Arrays.asList(in.fieldNames()).contains($(idCol())) ? $(idCol()) : null, null, null, "transform");
    return AppendScores.apply(dataset.toDF(), cfg, layout, spec, head, sensitivity, $(scoreCol()), $(predictionCol()));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    List<String> names = Arrays.asList(schema.fieldNames());
    Columns.requireImage(schema, $(imageCol()));
    for (String out : List.of($(scoreCol()), $(predictionCol()))) {
      if (names.contains(out)) {
        throw new BadInputException("the DataFrame already has a column '" + out + "'; set scoreCol/predictionCol "
            + "to new names");
      }
    }
    return AppendScores.schema(schema, $(scoreCol()), $(predictionCol()));
  }

  @Override
  public OpnpModel copy(ParamMap extra) {
    OpnpModel copy = new OpnpModel(uid, sensitivity);
    copyValues(copy, extra);
    return copy.setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  public static MLReader<OpnpModel> read() {
    return new Reader();
  }

  public static OpnpModel load(String path) {
    return read().load(path);
  }

  /** Params as Spark's metadata JSON, the sensitivities as Parquet under {@code sensitivity/}. */
  private static final class Writer extends MLWriter {
    private final OpnpModel instance;

    Writer(OpnpModel instance) {
      this.instance = instance;
    }

    @Override
    public void saveImpl(String path) {
      // Provenance first: if the engine cannot be checked, nothing of the model is written.
      String engine = io.opnp.model.EngineProvenance.json(sparkSession().sparkContext().isLocal());
      DefaultParamsWriter.saveMetadata(instance, path, sparkSession().sparkContext(), Option.empty(), Option.empty());
      SensitivityStore.save(sparkSession(), instance.sensitivity, path + "/sensitivity", true);
      io.opnp.io.Outputs.create(sparkSession().sparkContext().hadoopConfiguration(), path + "/engine.json", engine + "\n");
    }
  }

  private static final class Reader extends MLReader<OpnpModel> {
    @Override
    public OpnpModel load(String path) {
      DefaultParamsReader.Metadata md = SavedStages.metadata(path, sparkSession().sparkContext(), OpnpModel.class);
      OpnpModel model = new OpnpModel(md.uid(), SensitivityStore.load(sparkSession(), path + "/sensitivity"));
      md.getAndSetParams(model, Option.empty());
      return model;
    }
  }
}
