package io.opnp.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.testing.SparkTestSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/** The monitor's per-batch writer: idempotent per batch id, and its monitoring row. */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class StreamingMonitorTest {
  @TempDir
  Path tmp;

  private final SparkSession spark = SparkTestSession.get();

  @Test
  void aReplayedMicroBatchReplacesWhatItsFirstAttemptWrote() throws Exception {
    // What a restart does after a crash between writing a batch and committing its offsets: the same
    // batch id again. The fault cannot be caused from outside, so the batch writer is called twice.
    org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
        .add("id", "string").add("label", "long").add("ood_score", "double").add("ood_pvalue", "double")
        .add("is_ood", "boolean").add("prediction", "int");
    List<Row> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      rows.add(org.apache.spark.sql.RowFactory.create("img-" + i, null, (double) i, 0.5, i < 10, 3));
    }
    Dataset<Row> batch = spark.createDataFrame(rows, schema);
    Path sink = tmp.resolve("replay");
    StreamingMonitor.BatchSink writer = new StreamingMonitor.BatchSink(sink.toString(), RULE);
    StreamingMonitor.ScoresWriter rowsOf = staging -> {
      batch.write().parquet(staging);
      return List.of(new StreamingMonitor.Quarantined("file:/in/bad.parquet", "not a readable Parquet file"));
    };
    writer.commit(spark, 7L, rowsOf);
    writer.commit(spark, 7L, rowsOf);
    assertEquals(40, spark.read().parquet(sink.resolve("scores").toString()).count());
    List<Row> monitor = spark.read().parquet(sink.resolve("monitor").toString()).collectAsList();
    assertEquals(1, monitor.size());
    Row m = monitor.get(0);
    assertEquals(40L, m.<Long>getAs("count"));
    assertEquals(10L, m.<Long>getAs("flagged_ood"));
    assertEquals(0.25, m.<Double>getAs("ood_rate"), 1e-15);
    assertTrue(m.<Boolean>getAs("alert"), "25 % flagged against an expected 4–6 % must alert");
    assertEquals(7L, ((Number) m.getAs("batch_id")).longValue());
    assertEquals(1L, m.<Long>getAs("quarantined"));
    Row aside = m.<scala.collection.Seq<Row>>getAs("quarantined_files").apply(0);
    assertEquals("file:/in/bad.parquet", aside.getString(0));
    assertEquals("not a readable Parquet file", aside.getString(1));
    assertFalse(Files.exists(sink.resolve(StreamingMonitor.STAGING)) && Files.list(sink.resolve(StreamingMonitor.STAGING))
        .findAny().isPresent(), "nothing is left in the staging area after a commit");
  }

  @Test
  void aRestartRemovesTheStagingDirectoriesAKilledAttemptLeftAndKeepsTheBatches() throws Exception {
    Path out = tmp.resolve("stale");
    Path batch = Files.createDirectories(out.resolve("scores/batch_id=0"));
    Files.writeString(batch.resolve("part-0.parquet"), "kept");
    Files.createDirectories(out.resolve("scores/.batch_id=1.tmp-5f0c2a1e-0000-4000-8000-000000000000"));
    Files.createDirectories(out.resolve("monitor/.batch_id=1.tmp-5f0c2a1e-0000-4000-8000-000000000001"));
    Files.createDirectories(out.resolve(StreamingMonitor.STAGING + "/scores-2-abc"));
    Files.writeString(out.resolve("scores/.notes"), "not ours");
    assertEquals(3, StreamingMonitor.removeStaleStaging(spark.sparkContext().hadoopConfiguration(), out.toString()));
    assertTrue(Files.exists(batch.resolve("part-0.parquet")));
    assertTrue(Files.exists(out.resolve("scores/.notes")), "only the monitor's own staging names are removed");
    assertFalse(Files.exists(out.resolve(StreamingMonitor.STAGING)));
    try (var left = Files.list(out.resolve("scores"))) {
      assertEquals(List.of("batch_id=0", ".notes"), left.map(p -> p.getFileName().toString()).sorted(
          java.util.Comparator.reverseOrder()).toList());
    }
    assertEquals(0, StreamingMonitor.removeStaleStaging(spark.sparkContext().hadoopConfiguration(), out.toString()));
  }

  @Test
  void aFileFaultIsTheFilesContentNeverTheProjectsOwnBadInput() {
    assertTrue(StreamingMonitor.isFileFault(new org.apache.spark.SparkException("Job aborted",
        new org.apache.parquet.io.ParquetDecodingException("Can not read value at 0 in block -1"))));
    assertTrue(StreamingMonitor.isFileFault(new org.apache.spark.SparkException("Job aborted",
        new org.apache.hadoop.fs.ChecksumException("Checksum error: file:/w/a.parquet at 0", 0))));
    // By type and Spark's error condition, never by message text: the same words in a plain exception are not one.
    assertFalse(StreamingMonitor.isFileFault(new RuntimeException("x", new RuntimeException(
        "file:/w/a.parquet is not a Parquet file. Expected magic number at tail"))));
    assertFalse(StreamingMonitor.isFileFault(new org.apache.spark.SparkException("Job aborted",
        new io.opnp.BadInputException("image 3 is unreadable; pass --on-bad-image=skip"))));
    assertFalse(StreamingMonitor.isFileFault(new IllegalStateException("executor lost")));
  }

  /** A detector expecting 5 % false alarms, interval [4.2 %, 5.8 %]. */
  private static final io.opnp.decision.DecisionRule RULE = new io.opnp.decision.DecisionRule(0.0,
      new io.opnp.decision.ConformalPValues(new double[] {1, 2, 3}), 0.05,
      new io.opnp.decision.Interval(0.042, 0.058, 0.95));

  @Test
  void anInDistributionBatchDoesNotAlertAndAnEmptyOneNeither() {
    Row ok = StreamingMonitor.monitorRow(1, 1000, 1000, 52, RULE, List.of());
    assertEquals(false, ok.<Boolean>getAs("alert"));
    assertEquals(0.052, ok.<Double>getAs("ood_rate"), 0);
    Row empty = StreamingMonitor.monitorRow(2, 0, 0, 0, RULE, List.of());
    assertEquals(false, empty.<Boolean>getAs("alert"));
    Row low = StreamingMonitor.monitorRow(3, 1000, 1000, 5, RULE, List.of());
    assertTrue(low.<Boolean>getAs("alert"), "0.5 % flagged where 5 % is expected is unlike ID data too");
  }
}
