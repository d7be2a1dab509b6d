package io.opnp.spark;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bounded pool of image-decode threads per executor JVM, shared by its tasks: JPEG decoding
 * and resizing run here while the task's own thread runs the model on the previous batch. The
 * first task sets the size ({@link #defaultThreads}); daemon threads, so an executor never waits
 * for them to exit.
 */
final class DecodePool {
  private static final Logger LOG = LoggerFactory.getLogger(DecodePool.class);
  private static volatile ExecutorService pool;
  private static int size;

  private DecodePool() {}

  static ExecutorService get(int threads) {
    ExecutorService p = pool;
    if (p != null) {
      return p;
    }
    synchronized (DecodePool.class) {
      if (pool == null) {
        size = threads > 0 ? threads : defaultThreads(executorCores(), Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(size, size, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "opnp-decode-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
        LOG.info("image decode pool: {} thread(s)", size);
      }
      return pool;
    }
  }

  /**
   * One decode thread per core this executor was given ({@code spark.executor.cores}), not per core
   * of its host: a 64-core node running eight 8-core executors would otherwise start 512 threads.
   * Local mode and executors without the setting use the JVM's processors.
   */
  static int defaultThreads(int executorCores, int processors) {
    return executorCores > 0 ? Math.min(executorCores, processors) : processors;
  }

  private static int executorCores() {
    org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
    if (env == null || "driver".equals(env.executorId())) {
      return 0;
    }
    return env.conf().getInt("spark.executor.cores", 0);
  }

  static int size() {
    return size;
  }
}
