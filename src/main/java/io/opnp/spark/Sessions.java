package io.opnp.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Spark sessions for the jobs: spark-submit's master when there is one, else local mode. */
public final class Sessions {
  private Sessions() {}

  /**
   * @param master an explicit master URL, or null to take spark-submit's {@code spark.master} and
   *     fall back to {@code local[*]} (the embedded default)
   */
  public static SparkSession getOrCreate(String master, String appName) {
    SparkConf conf = new SparkConf();
    if (master != null) {
      conf.setMaster(master);
    } else if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.setIfMissing("spark.app.name", appName);
    conf.setIfMissing("spark.ui.showConsoleProgress", "false");
    return SparkSession.builder().config(conf).getOrCreate();
  }
}
