package io.opnp.spark;

import org.apache.spark.api.java.JavaSparkContext;

/**
 * Names the jobs and stages that follow in the Spark UI and in the progress log: the job
 * description, and the call site that Spark shows as the stage name (instead of "parquet at …").
 */
public final class Stages {
  private Stages() {}

  public static void describe(JavaSparkContext jsc, String what) {
    jsc.setJobDescription(what);
    jsc.setCallSite(what);
  }

  public static void clear(JavaSparkContext jsc) {
    jsc.setJobDescription(null);
    jsc.clearCallSite();
  }

  /** Spark merges at most this many partitions into one per level of a tree aggregate we run. */
  static final int MAX_RESULTS_AT_DRIVER = 8;

  /**
   * The depth of a {@code treeAggregate} over {@code partitions} partitions such that at most
   * 2 × {@link #MAX_RESULTS_AT_DRIVER} partial results reach the driver (Spark merges {@code
   * partitions^(1/depth)} per level): at 2048 × 1000 each is 16 MB, and a fixed depth of 2 would send
   * √P of them, past {@code spark.driver.maxResultSize} with a few thousand partitions.
   */
  public static int treeDepth(int partitions) {
    int depth = 2;
    while (Math.ceil(Math.pow(partitions, 1.0 / depth)) > MAX_RESULTS_AT_DRIVER) {
      depth++;
    }
    return depth;
  }
}
