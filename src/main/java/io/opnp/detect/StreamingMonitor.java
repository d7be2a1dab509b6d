package io.opnp.detect;

import static org.apache.spark.sql.functions.col;

import io.opnp.BadInputException;
import io.opnp.data.DatasetReader;
import io.opnp.data.ParquetShards;
import io.opnp.data.ImageSchema;
import io.opnp.decision.DecisionRule;
import io.opnp.decision.Interval;
import io.opnp.io.Outputs;
import io.opnp.spark.AppendDetection;
import io.opnp.spark.InferenceConfig;
import io.opnp.spark.RowLayout;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
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
 * interval, the rate expected of in-distribution data, an alert when the interval excludes it, and
 * the files set aside), and logs it. The stream itself lists arriving files only; each micro-batch
 * checks and reads its files, so that a corrupt or half-written one is quarantined (named with its
 * reason in the monitoring row) and the stream goes on, or, under {@link OnBadShard#fail}, stops
 * naming it. Each batch's output is written under {@code OUTPUT/_staging} and renamed into place,
 * replacing what a replay of the same batch id wrote: with the checkpoint, a restart neither loses
 * nor duplicates rows, and removes what a killed attempt left in {@code _staging}.
 */
public final class StreamingMonitor {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingMonitor.class);
  public static final String STREAM = "stream";
  public static final String STAGING = "_staging";
  public static final StructType QUARANTINED = new StructType()
      .add("file", DataTypes.StringType, false)
      .add("reason", DataTypes.StringType, false);
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
      .add("alert", DataTypes.BooleanType, false)
      .add("quarantined", DataTypes.LongType, false)
      .add("quarantined_files", DataTypes.createArrayType(QUARANTINED, false), false);
  /** Spark's binaryFile source; only {@code path} is read, so no file's bytes are loaded by the listing. */
  private static final StructType BINARY_FILE = new StructType()
      .add("path", DataTypes.StringType, false)
      .add("modificationTime", DataTypes.TimestampType, false)
      .add("length", DataTypes.LongType, false)
      .add("content", DataTypes.BinaryType, true);
  /** Names of staging directories older versions kept beside the batches. */
  private static final java.util.regex.Pattern OLD_STAGING = java.util.regex.Pattern.compile("\\.batch_id=\\d+\\.tmp-.+");

  public enum Format { PARQUET, FILES }

  /** What a shard (or image file) that cannot be read does to the stream. */
  public enum OnBadShard { quarantine, fail }

  /** A file a micro-batch set aside, and why. */
  public record Quarantined(String file, String reason) implements Serializable {}

  private StreamingMonitor() {}

  /** Starts the query, quarantining bad shards; the caller waits on it or stops it. */
  public static StreamingQuery start(SparkSession spark, Detector d, InferenceConfig cfg, String watch, Format format,
                                     String output, String checkpoint, long triggerMillis, int maxFilesPerTrigger)
      throws TimeoutException {
    return start(spark, d, cfg, watch, format, output, checkpoint, triggerMillis, maxFilesPerTrigger,
        OnBadShard.quarantine);
  }

  /** Starts the query; the caller waits on it or stops it. */
  public static StreamingQuery start(SparkSession spark, Detector d, InferenceConfig cfg, String watch, Format format,
                                     String output, String checkpoint, long triggerMillis, int maxFilesPerTrigger,
                                     OnBadShard onBadShard) throws TimeoutException {
    Broadcast<AppendDetection.Scorer> scorer = AppendDetection.broadcast(spark, DetectJob.scorer(spark, d, cfg));
    checkWatched(spark, watch);
    removeStaleStaging(spark.sparkContext().hadoopConfiguration(), output);
    StructType schema = format == Format.PARQUET ? parquetSchema(spark, watch) : null;
    Intake intake = new Intake(format, schema, onBadShard, cfg, scorer, watch);
    BatchSink sink = new BatchSink(output, d.rule());
    var writer = arrivals(spark, watch, format, maxFilesPerTrigger).writeStream().queryName("opnp-monitor")
        .option("checkpointLocation", checkpoint)
        .foreachBatch(new ScoreArrivals(intake, sink));
    if (triggerMillis > 0) {
      writer = writer.trigger(Trigger.ProcessingTime(triggerMillis));
    } else {
      writer = writer.trigger(Trigger.AvailableNow());
    }
    return writer.start();
  }

  private static void checkWatched(SparkSession spark, String watch) {
    try {
      Path p = new Path(watch);
      if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
        throw new BadInputException("the watched directory " + watch + " does not exist; create it (new shards or "
            + "images are picked up as they arrive)");
      }
    } catch (java.io.IOException e) {
      throw new BadInputException("cannot read the watched directory " + watch + " (" + e.getMessage() + ")", e);
    }
  }

  /**
   * The arriving files' paths, no bytes: Spark's file source remembers which it has seen (in the
   * checkpoint) and hides names starting with '.' or '_'. Image files are found in sub-folders too.
   */
  static Dataset<Row> arrivals(SparkSession spark, String watch, Format format, int maxFilesPerTrigger) {
    var reader = spark.readStream().option("maxFilesPerTrigger", maxFilesPerTrigger).format("binaryFile")
        .schema(BINARY_FILE);
    if (format == Format.FILES) {
      reader = reader.option("pathGlobFilter", DatasetReader.IMAGE_GLOB).option("recursiveFileLookup", "true");
    }
    return reader.load(watch).select(col("path"));
  }

  /** Removes what killed attempts left: the staging area, and older versions' hidden batch directories. */
  static int removeStaleStaging(Configuration conf, String output) {
    int removed = 0;
    try {
      Path out = new Path(output);
      FileSystem fs = out.getFileSystem(conf);
      Path staging = new Path(out, STAGING);
      if (fs.exists(staging)) {
        removed += fs.listStatus(staging).length;
        fs.delete(staging, true);
      }
      for (String sub : List.of("scores", "monitor")) {
        Path dir = new Path(out, sub);
        if (fs.exists(dir)) {
          for (FileStatus st : fs.listStatus(dir)) {
            if (OLD_STAGING.matcher(st.getPath().getName()).matches() && fs.delete(st.getPath(), true)) {
              removed++;
            }
          }
        }
      }
    } catch (java.io.IOException e) {
      throw new BadInputException("cannot clean the staging area of the output " + output + " (" + e.getMessage()
          + "); check that it is writable", e);
    }
    if (removed > 0) {
      LOG.info("opnp monitor: removed {} staging director{} an earlier attempt left in {}", removed,
          removed == 1 ? "y" : "ies", output);
    }
    return removed;
  }

  /** The shards' schema, from the first readable one already there; otherwise id, image (binary), label. */
  private static StructType parquetSchema(SparkSession spark, String watch) {
    try {
      FileSystem fs = new Path(watch).getFileSystem(spark.sparkContext().hadoopConfiguration());
      for (FileStatus st : fs.listStatus(new Path(watch))) {
        String name = st.getPath().getName();
        if (st.isFile() && !name.startsWith(".") && !name.startsWith("_")
            && ParquetShards.problem(fs.getConf(), st.getPath().toString(), ImageSchema.IMAGE) == null) {
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
  public static Row monitorRow(long batchId, long count, long scored, long flagged, DecisionRule rule,
                               List<Quarantined> quarantined) {
    DecisionRule.Share share = DecisionRule.Share.of(flagged, scored);
    List<Row> q = new ArrayList<>();
    for (Quarantined f : quarantined) {
      q.add(RowFactory.create(f.file(), f.reason()));
    }
    // With its schema, so that the row is read by column name, never by position.
    return new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(new Object[] {batchId,
        System.currentTimeMillis(), count, scored, flagged, share.rate(), share.interval().lower(),
        share.interval().upper(), rule.expectedRate(), rule.shifted(share), (long) quarantined.size(), q},
        MONITOR_SCHEMA);
  }

  /** One micro-batch: its files' paths, scored by the intake, committed by the sink. */
  static final class ScoreArrivals implements VoidFunction2<Dataset<Row>, Long> {
    private static final long serialVersionUID = 1L;
    private final Intake intake;
    private final BatchSink sink;

    ScoreArrivals(Intake intake, BatchSink sink) {
      this.intake = intake;
      this.sink = sink;
    }

    @Override
    public void call(Dataset<Row> arrivals, Long batchId) {
      List<String> paths = new ArrayList<>(arrivals.as(Encoders.STRING()).collectAsList());
      java.util.Collections.sort(paths);
      sink.commit(arrivals.sparkSession(), batchId, staging -> intake.score(arrivals.sparkSession(), paths, staging));
    }
  }

  /** Writes a micro-batch's scored rows to a staging directory and says which files it set aside. */
  @FunctionalInterface
  interface ScoresWriter {
    List<Quarantined> write(String staging);
  }

  /**
   * Checks, reads and scores a micro-batch's files. Parquet shards are checked by their footer first;
   * a batch that still fails on a file's content is scored again file by file, so that only the
   * damaged files are set aside. A failure that is not a file's (the model, an image under
   * --on-bad-image=fail) stops the stream as before.
   */
  static final class Intake implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Format format;
    private final StructType schema;
    private final OnBadShard onBad;
    private final InferenceConfig cfg;
    private final Broadcast<AppendDetection.Scorer> scorer;
    private final String watch;

    Intake(Format format, StructType schema, OnBadShard onBad, InferenceConfig cfg,
           Broadcast<AppendDetection.Scorer> scorer, String watch) {
      this.format = format;
      this.schema = schema;
      this.onBad = onBad;
      this.cfg = cfg;
      this.scorer = scorer;
      this.watch = watch;
    }

    List<Quarantined> score(SparkSession spark, List<String> paths, String staging) {
      List<Quarantined> aside = new ArrayList<>();
      if (format == Format.FILES) {
        scored(spark, DatasetReader.files(spark, paths, STREAM)).write().parquet(staging);
        // Image files that could not be read or decoded are rows with their reason; the monitoring row names them.
        for (Row r : spark.read().parquet(staging).where(col(AppendDetection.SKIP_REASON).isNotNull())
            .select(ImageSchema.ID, AppendDetection.SKIP_REASON).orderBy(ImageSchema.ID).collectAsList()) {
          aside.add(new Quarantined(r.getString(0), r.getString(1)));
        }
        return aside;
      }
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      List<String> readable = new ArrayList<>();
      for (String p : paths) {
        String problem = ParquetShards.problem(conf, p, ImageSchema.IMAGE);
        if (problem == null) {
          readable.add(p);
        } else {
          aside.add(setAside(p, problem, null));
        }
      }
      Exception fault = fileFault(() -> parquet(spark, readable).write().parquet(staging));
      if (fault != null) {
        Outputs.abort(conf, staging);
        if (readable.size() == 1) {
          aside.add(setAside(readable.get(0), ParquetShards.firstLine(fault), fault));
          parquet(spark, List.of()).write().parquet(staging);
        } else {
          for (String p : readable) {
            Exception one = fileFault(() -> parquet(spark, List.of(p)).write().mode(SaveMode.Append).parquet(staging));
            if (one != null) {
              aside.add(setAside(p, ParquetShards.firstLine(one), one));
            }
          }
        }
      }
      aside.sort(java.util.Comparator.comparing(Quarantined::file));
      return aside;
    }

    /**
     * Runs a write and returns its failure when that is a file's fault; any other failure propagates.
     * Spark's SparkException is a checked exception in Java's eyes, so Exception is caught, not RuntimeException.
     */
    private static Exception fileFault(Runnable write) {
      try {
        write.run();
        return null;
      } catch (Exception e) {
        if (isFileFault(e)) {
          return e;
        }
        throw StreamingMonitor.<RuntimeException>rethrow(e);
      }
    }

    private Quarantined setAside(String file, String reason, Throwable cause) {
      if (onBad == OnBadShard.fail) {
        throw new BadInputException("the watched shard " + file + " cannot be scored: " + reason + "; replace or "
            + "remove it (producers should write shards elsewhere and move them into " + watch + " whole), or run "
            + "with --on-bad-shard=quarantine to set such files aside and go on", cause);
      }
      LOG.warn("opnp monitor: set aside {}: {}", file, reason);
      return new Quarantined(file, reason);
    }

    private Dataset<Row> parquet(SparkSession spark, List<String> files) {
      Dataset<Row> rows;
      if (files.isEmpty()) {
        rows = spark.createDataFrame(List.of(), ImageSchema.SCHEMA);
      } else {
        rows = DatasetReader.normalize(spark.read().schema(schema).parquet(files.toArray(String[]::new)),
            "the watched Parquet at " + watch, ImageSchema.IMAGE, ImageSchema.ID, ImageSchema.LABEL, STREAM, true);
      }
      return scored(spark, rows);
    }

    private Dataset<Row> scored(SparkSession spark, Dataset<Row> rows) {
      return AppendDetection.apply(rows, cfg, RowLayout.STANDARD, scorer)
          .select(col(ImageSchema.ID), col(ImageSchema.LABEL), col(AppendDetection.SCORE), col(AppendDetection.PVALUE),
              col(AppendDetection.IS_OOD), col(AppendDetection.PREDICTION), col(AppendDetection.SKIP_REASON));
    }
  }

  /**
   * Whether a failure is a file's content (corrupt, truncated, of another schema) rather than the
   * job's: a failure the project itself raised as bad input (the model, an image under
   * --on-bad-image=fail) is not.
   */
  static boolean isFileFault(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof BadInputException) {
        return false;
      }
    }
    return io.opnp.spark.ReadFailures.hasCorruptFile(e);
  }

  /** Idempotent per batch id: staging, then rename over whatever a replay of this batch wrote before. */
  static final class BatchSink implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String output;
    private final DecisionRule rule;

    BatchSink(String output, DecisionRule rule) {
      this.output = output;
      this.rule = rule;
    }

    void commit(SparkSession spark, long batchId, ScoresWriter scores) {
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      String scoresDir = output + "/scores/batch_id=" + batchId;
      String monitorDir = output + "/monitor/batch_id=" + batchId;
      String tag = batchId + "-" + java.util.UUID.randomUUID();
      String stagingScores = output + "/" + STAGING + "/scores-" + tag;
      String stagingMonitor = output + "/" + STAGING + "/monitor-" + tag;
      try {
        List<Quarantined> aside = scores.write(stagingScores);
        Row counts = spark.read().parquet(stagingScores).selectExpr("count(*)", "count(" + AppendDetection.SCORE + ")",
            "coalesce(sum(cast(" + AppendDetection.IS_OOD + " as long)), 0)").first();
        Row m = monitorRow(batchId, counts.getLong(0), counts.getLong(1), counts.getLong(2), rule, aside);
        spark.createDataFrame(List.of(m), MONITOR_SCHEMA).drop("batch_id").coalesce(1).write().parquet(stagingMonitor);
        Outputs.commit(conf, stagingScores, scoresDir, true);
        Outputs.commit(conf, stagingMonitor, monitorDir, true);
        LOG.info("opnp monitor: batch {}: {} images, {} flagged OOD ({}, 95 % interval {}–{}; in-distribution "
                + "expected {}){}{}", batchId, m.<Long>getAs("scored"), m.<Long>getAs("flagged_ood"),
            pct(m.<Double>getAs("ood_rate")), pct(m.<Double>getAs("ood_rate_lower")),
            pct(m.<Double>getAs("ood_rate_upper")), pct(rule.expectedRate()),
            aside.isEmpty() ? "" : "; " + aside.size() + " file(s) set aside",
            m.<Boolean>getAs("alert") ? " — ALERT: rate unlike in-distribution data" : "");
      } finally {
        Outputs.abort(conf, stagingScores);
        Outputs.abort(conf, stagingMonitor);
      }
    }

    private static String pct(double v) {
      return String.format(java.util.Locale.ROOT, "%.2f %%", 100 * v);
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E rethrow(Throwable e) throws E {
    throw (E) e;
  }
}
