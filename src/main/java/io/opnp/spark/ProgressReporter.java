package io.opnp.spark;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.SparkStatusTracker;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the driver's view of long stages every few seconds: tasks done of total, the records (images
 * or cached rows) the finished tasks read and their rate, elapsed time and an ETA extrapolated from
 * the finished tasks. Executors log their own images/s per partition.
 */
public final class ProgressReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);
  private final ScheduledExecutorService timer;
  private final org.apache.spark.SparkContext sc;
  private final RecordCounter records = new RecordCounter();

  /** Records the finished tasks of each stage read (input plus shuffle) or, if more, wrote. */
  private static final class RecordCounter extends org.apache.spark.scheduler.SparkListener {
    final java.util.concurrent.ConcurrentHashMap<Integer, java.util.concurrent.atomic.LongAdder> byStage =
        new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
      var m = end.taskMetrics();
      if (m != null) {
        byStage.computeIfAbsent(end.stageId(), k -> new java.util.concurrent.atomic.LongAdder())
            .add(Math.max(m.inputMetrics().recordsRead() + m.shuffleReadMetrics().recordsRead(),
                m.outputMetrics().recordsWritten()));
      }
    }

    long of(int stage) {
      var a = byStage.get(stage);
      return a == null ? 0 : a.sum();
    }
  }

  public ProgressReporter(SparkSession spark, long periodSeconds) {
    sc = spark.sparkContext();
    sc.addSparkListener(records);
    SparkStatusTracker tracker = spark.sparkContext().statusTracker();
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "opnp-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> report(tracker, records), periodSeconds, periodSeconds, TimeUnit.SECONDS);
  }

  private static void report(SparkStatusTracker tracker, RecordCounter records) {
    try {
      for (int id : tracker.getActiveStageIds()) {
        scala.Option<SparkStageInfo> o = tracker.getStageInfo(id);
        if (o.isEmpty()) {
          continue;
        }
        SparkStageInfo s = o.get();
        long elapsed = Math.max(0, System.currentTimeMillis() - s.submissionTime()) / 1000;
        int done = s.numCompletedTasks();
        int total = s.numTasks();
        String eta = done == 0 ? "?" : (elapsed * (total - done) / done) + " s";
        long read = records.of(id);
        String rate = read == 0 ? "" : String.format(", %d records through finished tasks (%.1f/s)", read,
            read / (double) Math.max(1, elapsed));
        LOG.info("stage {} '{}': {}/{} tasks done, {} running{}, {} s elapsed, ETA {}", id, s.name(), done, total,
            s.numActiveTasks(), rate, elapsed, eta);
      }
    } catch (RuntimeException e) {
      LOG.debug("progress report failed", e);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    sc.removeSparkListener(records);
  }
}
