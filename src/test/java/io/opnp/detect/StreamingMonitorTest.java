package io.opnp.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.testing.SparkTestSession;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The monitor's per-batch writer: idempotent per batch id, and its monitoring row. */
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
    StreamingMonitor.WriteBatch writer = new StreamingMonitor.WriteBatch(sink.toString(), 0.05, 0.04, 0.06);
    writer.call(batch, 7L);
    writer.call(batch, 7L);
    assertEquals(40, spark.read().parquet(sink.resolve("scores").toString()).count());
    List<Row> monitor = spark.read().parquet(sink.resolve("monitor").toString()).collectAsList();
    assertEquals(1, monitor.size());
    Row m = monitor.get(0);
    assertEquals(40L, m.<Long>getAs("count"));
    assertEquals(10L, m.<Long>getAs("flagged_ood"));
    assertEquals(0.25, m.<Double>getAs("ood_rate"), 1e-15);
    assertTrue(m.<Boolean>getAs("alert"), "25 % flagged against an expected 4–6 % must alert");
    assertEquals(7L, ((Number) m.getAs("batch_id")).longValue());
  }

  @Test
  void anInDistributionBatchDoesNotAlertAndAnEmptyOneNeither() {
    Row ok = StreamingMonitor.monitorRow(1, 1000, 1000, 52, 0.05, 0.042, 0.058);
    assertEquals(false, ok.getBoolean(9));
    Row empty = StreamingMonitor.monitorRow(2, 0, 0, 0, 0.05, 0.042, 0.058);
    assertEquals(false, empty.getBoolean(9));
    Row low = StreamingMonitor.monitorRow(3, 1000, 1000, 5, 0.05, 0.042, 0.058);
    assertTrue(low.getBoolean(9), "0.5 % flagged where 5 % is expected is unlike ID data too");
  }
}
