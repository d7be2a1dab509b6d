package io.opnp.detect;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.opnp.BadInputException;
import io.opnp.data.DatasetReader;
import io.opnp.data.ImageSchema;
import io.opnp.decision.BinomialInterval;
import io.opnp.decision.Interval;
import io.opnp.io.Outputs;
import io.opnp.spark.AppendDetection;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.RowLayout;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A saved detector on Spark Structured Streaming: new Parquet shards (or image files) arriving in a
 * directory are scored as they come; every micro-batch writes its rows to {@code OUTPUT/scores/batch_id=N}
 * and one monitoring row to {@code OUTPUT/monitor/batch_id=N} (count, OOD rate, its 95 % Wilson
 * interval, the rate expected of in-distribution data, an alert when the interval excludes it), and
 * logs it. Each batch's output is written to a staging directory and renamed into place, replacing
 * what a replay of the same batch id wrote: with the checkpoint, a restart neither loses nor
 * duplicates rows.
 */
public final class StreamingMonitor {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingMonitor.class);
  public static final String STREAM = "stream";
  public static final StructType MONITOR_SCHEMA = new StructType()
      .add("batch_id", DataTypes.LongType, false)
      .add("time_ms", DataTypes.LongType, false)
      .add("count", DataTypes.LongType, false)
      .add("scored", DataTypes.LongType, false)
      .add("flagged_ood", DataTypes.LongType, false)
      .add("ood_rate", DataTypes.DoubleType, false)
      .add("ood_rate_lower", DataTypes.DoubleType, false)
      .add("ood_rate_upper", DataTypes.DoubleType, false)
      .add("expected_rate", DataTypes.DoubleType, false)
      .add("alert", DataTypes.BooleanType, false);

  public enum Format { PARQUET, FILES }

  private StreamingMonitor() {}

  /** Starts the query; the caller waits on it or stops it. */
  public static StreamingQuery start(SparkSession spark, Detector d, InferenceConfig cfg, String watch, Format format,
                                     String output, String checkpoint, long triggerMillis, int maxFilesPerTrigger)
      throws TimeoutException {
    AppendDetection.Scorer scorer = DetectJob.scorer(spark, d, cfg);
    Dataset<Row> in = source(spark, watch, format, maxFilesPerTrigger);
    Dataset<Row> scored = AppendDetection.apply(in, cfg, RowLayout.STANDARD, scorer)
        .select(col(ImageSchema.ID), col(ImageSchema.LABEL), col(AppendDetection.SCORE), col(AppendDetection.PVALUE),
            col(AppendDetection.IS_OOD), col(AppendDetection.PREDICTION), col(AppendDetection.SKIP_REASON));
    var writer = scored.writeStream().queryName("opnp-monitor")
        .option("checkpointLocation", checkpoint)
        .foreachBatch(new WriteBatch(output, d.expectedFalseAlarmRate(), d.falseAlarmLower(), d.falseAlarmUpper()));
    if (triggerMillis > 0) {
      writer = writer.trigger(Trigger.ProcessingTime(triggerMillis));
    } else {
      writer = writer.trigger(Trigger.AvailableNow());
    }
    return writer.start();
  }

  static Dataset<Row> source(SparkSession spark, String watch, Format format, int maxFilesPerTrigger) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    try {
      Path p = new Path(watch);
      if (!p.getFileSystem(conf).exists(p)) {
        throw new BadInputException("the watched directory " + watch + " does not exist; create it (new shards or "
            + "images are picked up as they arrive)");
      }
    } catch (java.io.IOException e) {
      throw new BadInputException("cannot read the watched directory " + watch + " (" + e.getMessage() + ")", e);
    }
    var reader = spark.readStream().option("maxFilesPerTrigger", maxFilesPerTrigger);
    if (format == Format.FILES) {
      Dataset<Row> files = reader.format("binaryFile").option("pathGlobFilter", DatasetReader.IMAGE_GLOB)
          .option("recursiveFileLookup", "true").load(watch);
      return files.select(col("path").as(ImageSchema.ID), col("content").as(ImageSchema.IMAGE),
          lit(null).cast(DataTypes.LongType).as(ImageSchema.LABEL), lit(STREAM).as(ImageSchema.DATASET));
    }
    StructType schema = parquetSchema(spark, watch);
    Dataset<Row> raw = reader.schema(schema).parquet(watch);
    return DatasetReader.normalize(raw, "the watched Parquet at " + watch, ImageSchema.IMAGE, ImageSchema.ID,
        ImageSchema.LABEL, STREAM);
  }

  /** The shards' schema, from those already there; otherwise id, image (binary), label. */
  private static StructType parquetSchema(SparkSession spark, String watch) {
    try {
      FileSystem fs = new Path(watch).getFileSystem(spark.sparkContext().hadoopConfiguration());
      for (var st : fs.listStatus(new Path(watch))) {
        if (st.isFile() && st.getPath().getName().endsWith(".parquet")) {
          return spark.read().parquet(st.getPath().toString()).schema();
        }
      }
    } catch (java.io.IOException e) {
      throw new BadInputException("cannot list " + watch + " (" + e.getMessage() + ")", e);
    }
    return new StructType().add(ImageSchema.ID, DataTypes.StringType).add(ImageSchema.IMAGE, DataTypes.BinaryType)
        .add(ImageSchema.LABEL, DataTypes.LongType);
  }

  /**
   * The monitoring row of one micro-batch; it alerts when the batch's interval and the expected
   * rate's interval do not overlap (each batch is its own test, so an ID stream still alerts now and then).
   */
  public static Row monitorRow(long batchId, long count, long scored, long flagged, double expected,
                               double expectedLower, double expectedUpper) {
    Interval ci = BinomialInterval.wilson(flagged, scored, 0.95);
    double rate = scored == 0 ? 0 : (double) flagged / scored;
    return RowFactory.create(batchId, System.currentTimeMillis(), count, scored, flagged, rate, ci.lower(),
        ci.upper(), expected, scored > 0 && (ci.lower() > expectedUpper || ci.upper() < expectedLower));
  }

  /** Idempotent per batch id: staging, then rename over whatever a replay of this batch wrote before. */
  static final class WriteBatch implements VoidFunction2<Dataset<Row>, Long> {
    private static final long serialVersionUID = 1L;
    private final String output;
    private final double expected;
    private final double lower;
    private final double upper;

    WriteBatch(String output, double expected, double lower, double upper) {
      this.output = output;
      this.expected = expected;
      this.lower = lower;
      this.upper = upper;
    }

    @Override
    public void call(Dataset<Row> batch, Long batchId) {
      SparkSession spark = batch.sparkSession();
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      String scores = output + "/scores/batch_id=" + batchId;
      String monitor = output + "/monitor/batch_id=" + batchId;
      String stagingScores = Outputs.staging(scores);
      String stagingMonitor = Outputs.staging(monitor);
      try {
        batch.write().parquet(stagingScores);
        Row counts = spark.read().parquet(stagingScores).selectExpr("count(*)", "count(" + AppendDetection.SCORE + ")",
            "coalesce(sum(cast(" + AppendDetection.IS_OOD + " as long)), 0)").first();
        Row m = monitorRow(batchId, counts.getLong(0), counts.getLong(1), counts.getLong(2), expected, lower,
            upper);
        spark.createDataFrame(List.of(m), MONITOR_SCHEMA).drop("batch_id").coalesce(1).write().parquet(stagingMonitor);
        Outputs.commit(conf, stagingScores, scores, true);
        Outputs.commit(conf, stagingMonitor, monitor, true);
        LOG.info("opnp monitor: batch {}: {} images, {} flagged OOD ({}, 95 % interval {}–{}; in-distribution "
                + "expected {}){}", batchId, m.getLong(3), m.getLong(4), pct(m.getDouble(5)), pct(m.getDouble(6)),
            pct(m.getDouble(7)), pct(expected), m.getBoolean(9) ? " — ALERT: rate unlike in-distribution data" : "");
      } finally {
        Outputs.abort(conf, stagingScores);
        Outputs.abort(conf, stagingMonitor);
      }
    }

    private static String pct(double v) {
      return String.format(java.util.Locale.ROOT, "%.2f %%", 100 * v);
    }
  }
}
