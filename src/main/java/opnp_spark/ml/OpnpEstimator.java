package opnp_spark.ml;

import io.opnp.data.DatasetReader;
import io.opnp.math.Sensitivity;
import io.opnp.spark.SensitivityJob;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Spark ML Estimator for notebooks and pipelines: {@code fit} runs the sensitivity pass over a
 * DataFrame of in-distribution training images and returns an {@link OpnpModel}.
 *
 * <pre>{@code
 * OpnpModel model = new OpnpEstimator().setModelPath("/dbfs/models/resnet50.pt")
 *     .setInputShape(3, 224, 224).fit(spark.read().parquet("/data/imagenet/train"));
 * Dataset<Row> scored = model.setMethod("opnp").transform(spark.read().parquet("/data/incoming"));
 * }</pre>
 */
public final class OpnpEstimator extends Estimator<OpnpModel> implements OpnpParams, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private final Holder params;

  public OpnpEstimator() {
    this(Identifiable$.MODULE$.randomUID("opnp"));
  }

  public OpnpEstimator(String uid) {
    this.uid = uid;
    this.params = new Holder(this);
    OpnpParams.setDefaults(this);
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Holder opnpParams() {
    return params;
  }

  public OpnpEstimator setModelPath(String value) {
    set(modelPath(), value);
    return this;
  }

  public OpnpEstimator setWeightParam(String value) {
    set(weightParam(), value);
    return this;
  }

  public OpnpEstimator setBiasParam(String value) {
    set(biasParam(), value);
    return this;
  }

  public OpnpEstimator setInputShape(int channels, int height, int width) {
    set(inputShape(), new int[] {channels, height, width});
    return this;
  }

  public OpnpEstimator setNormalization(double[] mean, double[] std) {
    set(mean(), mean);
    set(std(), std);
    return this;
  }

  public OpnpEstimator setResizeShorter(int value) {
    set(resizeShorter(), value);
    return this;
  }

  /** Images whose header announces more pixels are refused before decoding; see {@link io.opnp.data.Preprocess}. */
  public OpnpEstimator setMaxImagePixels(long value) {
    set(maxImagePixels(), value);
    return this;
  }

  public OpnpEstimator setDecodeThreads(int value) {
    set(decodeThreads(), value);
    return this;
  }

  /** auto, fp32, fp16 or bf16: see {@link io.opnp.model.Precision}. */
  public OpnpEstimator setPrecision(String value) {
    set(precision(), value);
    return this;
  }

  public OpnpEstimator setBatchSize(int value) {
    set(batchSize(), value);
    return this;
  }

  public OpnpEstimator setTemperature(double value) {
    set(temperature(), value);
    return this;
  }

  public OpnpEstimator setImageCol(String value) {
    set(imageCol(), value);
    return this;
  }

  public OpnpEstimator setIdCol(String value) {
    set(idCol(), value);
    return this;
  }

  public OpnpEstimator setScoreCol(String value) {
    set(scoreCol(), value);
    return this;
  }

  public OpnpEstimator setPredictionCol(String value) {
    set(predictionCol(), value);
    return this;
  }

  public OpnpEstimator setLabelCol(String value) {
    set(labelCol(), value);
    return this;
  }

  @Override
  public OpnpModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    Dataset<Row> images = DatasetReader.normalize(dataset.toDF(), "the DataFrame given to fit", $(imageCol()),
        $(idCol()), $(labelCol()), "fit");
    Sensitivity s = SensitivityJob.run(dataset.sparkSession(), inferenceConfig(), images);
    OpnpModel model = new OpnpModel(uid, s);
    copyValues(model, extractParamMap());
    return model.setParent(this);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Columns.requireImage(schema, $(imageCol()));
    // The fitted model's transform adds these, so pipeline stages after it can refer to them.
    return io.opnp.spark.AppendScores.schema(schema, $(scoreCol()), $(predictionCol()));
  }

  @Override
  public OpnpEstimator copy(ParamMap extra) {
    return (OpnpEstimator) defaultCopy(extra);
  }

  public static MLReader<OpnpEstimator> read() {
    return new DefaultParamsReader<>();
  }

  public static OpnpEstimator load(String path) {
    return read().load(path);
  }
}
