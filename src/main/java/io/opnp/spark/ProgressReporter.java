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
 * Logs the driver's view of long stages every few seconds: tasks done of total, elapsed time and
 * an ETA extrapolated from the finished tasks. Executors log their own images/s per partition.
 */
public final class ProgressReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);
  private final ScheduledExecutorService timer;

  public ProgressReporter(SparkSession spark, long periodSeconds) {
    SparkStatusTracker tracker = spark.sparkContext().statusTracker();
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "opnp-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> report(tracker), periodSeconds, periodSeconds, TimeUnit.SECONDS);
  }

  private static void report(SparkStatusTracker tracker) {
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
        LOG.info("stage {} '{}': {}/{} tasks done, {} running, {} s elapsed, ETA {}", id, s.name(), done, total,
            s.numActiveTasks(), elapsed, eta);
      }
    } catch (RuntimeException e) {
      LOG.debug("progress report failed", e);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
