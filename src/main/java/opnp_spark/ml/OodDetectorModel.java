package opnp_spark.ml;

import io.opnp.BadInputException;
import io.opnp.detect.DetectJob;
import io.opnp.detect.Detector;
import io.opnp.detect.DetectorBundle;
import io.opnp.spark.AppendDetection;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.RowLayout;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
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
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * A detector ({@link OodDetector#fit}'s, or evaluate's {@code OUTPUT/detector}) as a Spark ML Transformer: {@code transform}
 * adds {@code ood_score}, {@code ood_pvalue}, {@code is_ood} and {@code prediction} to a DataFrame of
 * images, with the detector's own preprocessing and threshold. {@code write().save(p)} stores the
 * params and the detector (it saves itself from memory, under {@code p/detector}, as {@code evaluate} saves one);
 * {@code OodDetectorModel.load(p)} reads both back.
 *
 * <pre>
 *   OodDetectorModel m = OodDetectorModel.fromBundle(spark, "run/detector").setModelPath("fmnist-resnet.pt");
 *   Dataset&lt;Row&gt; flagged = m.transform(images);   // image column: binary or struct&lt;bytes, path&gt;
 * </pre>
 */
public final class OodDetectorModel extends Model<OodDetectorModel> implements MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final transient Detector detector;
  private final Param<String> modelPath;
  private final Param<String> imageCol;
  private final IntParam batchSize;

  /**
   * A model with no detector, as Spark's own models have for describing their Params (the Python
   * wrappers are generated from them); it refuses to transform. Fit an {@link OodDetector} or load one.
   */
  public OodDetectorModel() {
    this(org.apache.spark.ml.util.Identifiable$.MODULE$.randomUID("oodDetector"), null);
  }

  OodDetectorModel(String uid, Detector detector) {
    this.uid = uid;
    this.detector = detector;
    modelPath = new Param<String>(this, "modelPath", "the model file the detector was made with, or its ONNX export (checked by SHA-256)");
    imageCol = new Param<String>(this, "imageCol", "column with the encoded image: binary or struct<bytes, path>");
    batchSize = new IntParam(this, "batchSize", "images per model call", ParamValidators.gt(0));
    setDefault(imageCol, "image");
    setDefault(batchSize, 256);
  }

  /** The detector saved by {@code opnp evaluate} under {@code dir}. */
  public static OodDetectorModel fromBundle(SparkSession spark, String dir) {
    return fromBundle(spark, dir, org.apache.spark.ml.util.Identifiable$.MODULE$.randomUID("oodDetector"));
  }

  /** As above, with the uid of the {@link OodDetector} that fitted it (MLlib: a model shares its estimator's uid). */
  static OodDetectorModel fromBundle(SparkSession spark, String dir, String uid) {
    return new OodDetectorModel(uid, DetectorBundle.load(spark, dir));
  }

  @Override
  public String uid() {
    return uid;
  }

  public Detector detector() {
    return detector;
  }

  public OodDetectorModel setModelPath(String value) {
    set(modelPath, value);
    return this;
  }

  public OodDetectorModel setImageCol(String value) {
    set(imageCol, value);
    return this;
  }

  public OodDetectorModel setBatchSize(int value) {
    set(batchSize, value);
    return this;
  }

  public Param<String> modelPath() {
    return modelPath;
  }

  public Param<String> imageCol() {
    return imageCol;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    if (detector == null) {
      throw new BadInputException("this OodDetectorModel holds no detector: fit an OodDetector, or load one "
          + "(OodDetectorModel.load, or fromBundle for evaluate's OUTPUT/detector)");
    }
    StructType in = dataset.schema();
    transformSchema(in);
    if (!isDefined(modelPath)) {
      throw new BadInputException("modelPath is not set; call setModelPath with the TorchScript file the detector "
          + "was made with (" + detector.model().name() + ")");
    }
    String model = $(modelPath);
    var conf = dataset.sparkSession().sparkContext().hadoopConfiguration();
    if (io.opnp.io.Storage.file(model, conf) == null) {
      throw new BadInputException("model file " + model + " does not exist; set modelPath to " + detector.model().name());
    }
    InferenceConfig cfg = DetectJob.config(detector, io.opnp.io.ModelStaging.stage(model, conf),
        (Integer) $(batchSize), 1, false, 0);
    AppendDetection.Scorer scorer = DetectJob.scorer(dataset.sparkSession(), detector, cfg);
    StructField image = in.apply($(imageCol));
    RowLayout layout = new RowLayout($(imageCol), image.dataType() instanceof StructType, null, null, null,
        "transform");
    return AppendDetection.apply(dataset.toDF(), cfg, layout, scorer);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    List<String> names = Arrays.asList(schema.fieldNames());
    Columns.requireImage(schema, $(imageCol));
    for (String out : AppendDetection.COLUMNS) {
      if (names.contains(out)) {
        throw new BadInputException("the DataFrame already has a column '" + out + "'; drop or rename it first");
      }
    }
    return AppendDetection.schema(schema);
  }

  @Override
  public OodDetectorModel copy(ParamMap extra) {
    OodDetectorModel copy = new OodDetectorModel(uid, detector);
    copyValues(copy, extra);
    return copy.setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  public static MLReader<OodDetectorModel> read() {
    return new Reader();
  }

  public static OodDetectorModel load(String path) {
    return read().load(path);
  }

  /** Params as Spark's metadata JSON, the detector saved under {@code detector/}. */
  private static final class Writer extends MLWriter {
    private final OodDetectorModel instance;

    Writer(OodDetectorModel instance) {
      this.instance = instance;
    }

    @Override
    public void saveImpl(String path) {
      if (instance.detector == null) {
        throw new BadInputException("this OodDetectorModel holds no detector to save: fit an OodDetector or load one");
      }
      DefaultParamsWriter.saveMetadata(instance, path, sparkSession().sparkContext(), Option.empty(), Option.empty());
      DetectorBundle.save(sparkSession(), new org.apache.hadoop.fs.Path(path, "detector").toString(), instance.detector);
    }
  }

  private static final class Reader extends MLReader<OodDetectorModel> {
    @Override
    public OodDetectorModel load(String path) {
      DefaultParamsReader.Metadata md = SavedStages.metadata(path, sparkSession().sparkContext(), OodDetectorModel.class);
      String dir = new org.apache.hadoop.fs.Path(path, "detector").toString();
      OodDetectorModel model = new OodDetectorModel(md.uid(), DetectorBundle.load(sparkSession(), dir));
      md.getAndSetParams(model, Option.empty());
      return model;
    }
  }
}
