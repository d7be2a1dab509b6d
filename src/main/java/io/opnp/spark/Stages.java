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
}
