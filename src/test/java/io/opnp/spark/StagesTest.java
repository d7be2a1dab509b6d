package io.opnp.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StagesTest {
  /** How many partial results reach the driver: Spark 3.5's RDD.treeAggregate loop, written out. */
  private static int resultsAtDriver(int partitions, int depth) {
    int scale = Math.max((int) Math.ceil(Math.pow(partitions, 1.0 / depth)), 2);
    int n = partitions;
    while (n > scale + (int) Math.ceil((double) n / scale)) {
      n /= scale;
    }
    return n;
  }

  @Test
  void theTreeDepthKeepsTheDriversShareSmallWhateverThePartitionCount() {
    assertEquals(2, Stages.treeDepth(1));
    assertEquals(2, Stages.treeDepth(64), "the depth Spark's default uses, up to 64 partitions");
    assertEquals(3, Stages.treeDepth(65));
    for (int p : new int[] {1, 7, 64, 65, 200, 1000, 5000, 10_000, 100_000, 1_000_000}) {
      int depth = Stages.treeDepth(p);
      int atDriver = resultsAtDriver(p, depth);
      assertTrue(atDriver <= 2 * Stages.MAX_RESULTS_AT_DRIVER, p + " partitions, depth " + depth + ": " + atDriver);
      assertTrue(resultsAtDriver(p, 2) >= atDriver, "never worse than depth 2");
    }
    assertTrue(resultsAtDriver(10_000, 2) >= 100, "a fixed depth of 2 sends 100 of 10,000 partitions' results");
  }
}
