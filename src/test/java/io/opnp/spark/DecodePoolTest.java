package io.opnp.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DecodePoolTest {
  @Test
  void decodeThreadsFollowTheExecutorsCoresNotTheHosts() {
    assertEquals(8, DecodePool.defaultThreads(8, 64), "an 8-core executor on a 64-core node");
    assertEquals(2, DecodePool.defaultThreads(0, 2), "no spark.executor.cores: the JVM's processors");
    assertEquals(4, DecodePool.defaultThreads(16, 4), "never more than the JVM can run (a container's limit)");
  }
}
