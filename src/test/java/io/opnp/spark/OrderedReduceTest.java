package io.opnp.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opnp.testing.SparkTestSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * Floating-point sums whose value depends on the order of the additions, reduced over 40 partitions whose tasks finish
 * in a different order each time: the same bits every time, and the tree's own order (groups of 8 consecutive
 * partitions, then the groups), computed here by hand.
 */
class OrderedReduceTest {
  @Test
  void theResultDoesNotDependOnWhichTaskFinishesFirst() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    Random r = new Random(3);
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      values.add(Math.pow(10, r.nextInt(17)) * (r.nextBoolean() ? 1 : -1) * r.nextDouble());
    }
    int partitions = 40;
    double[] partitionSums = new double[partitions];
    for (int p = 0; p < partitions; p++) {
      for (int i = p * values.size() / partitions; i < (p + 1) * values.size() / partitions; i++) {
        partitionSums[p] += values.get(i);
      }
    }
    double expected = 0;
    for (int g = 0; g < partitions; g += Stages.MAX_RESULTS_AT_DRIVER) {
      double group = partitionSums[g];
      for (int p = g + 1; p < g + Stages.MAX_RESULTS_AT_DRIVER; p++) {
        group += partitionSums[p];
      }
      expected = g == 0 ? group : expected + group;
    }
    for (int run = 0; run < 3; run++) {
      long seed = run;
      JavaRDD<Double> sums = jsc.parallelize(values, partitions).mapPartitionsWithIndex((index, it) -> {
        Thread.sleep(new Random(seed * 100 + index).nextInt(30));  // another completion order each run
        double s = 0;
        while (it.hasNext()) {
          s += it.next();
        }
        return List.of(s).iterator();
      }, false);
      assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(OrderedReduce.reduce(sums,
          Double::sum)), "run " + run);
    }
  }
}
