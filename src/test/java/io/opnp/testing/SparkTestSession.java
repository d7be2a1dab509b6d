package io.opnp.testing;

import org.apache.spark.sql.SparkSession;

/** One real local[2] Spark session shared by all test classes of the run (starting one costs seconds). */
public final class SparkTestSession {
  private SparkTestSession() {}

  public static synchronized SparkSession get() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("opnp-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate();
  }
}
