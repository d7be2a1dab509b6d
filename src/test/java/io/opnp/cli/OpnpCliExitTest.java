package io.opnp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class OpnpCliExitTest {
  private static Properties deployMode(String mode) {
    Properties p = new Properties();
    if (mode != null) {
      p.setProperty("spark.submit.deployMode", mode);
    }
    return p;
  }

  @Test
  void theJvmIsSparksInClusterDeployModeAndOnDatabricksAndOursOtherwise() {
    assertTrue(OpnpCli.sparkOwnsTheJvm(deployMode("cluster"), Map.of()));
    assertTrue(OpnpCli.sparkOwnsTheJvm(deployMode(null), Map.of("DATABRICKS_RUNTIME_VERSION", "15.4")));
    assertFalse(OpnpCli.sparkOwnsTheJvm(deployMode("client"), Map.of()), "spark-submit client mode keeps exit codes");
    assertFalse(OpnpCli.sparkOwnsTheJvm(deployMode(null), Map.of()), "jobs/opnp keeps exit codes");
  }

  @Test
  void aFailureWhereTheJvmMayNotExitNamesTheCodeAndItsMeaning() {
    OpnpCli.ExitStatus e = new OpnpCli.ExitStatus(OpnpCli.EXIT_BAD_INPUT);
    assertEquals(2, e.code());
    assertTrue(e.getMessage().contains("exit code 2 (bad input"), e.getMessage());
    assertTrue(new OpnpCli.ExitStatus(3).getMessage().contains("wrong numerics"));
    assertTrue(new OpnpCli.ExitStatus(1).getMessage().contains("internal failure"));
  }
}
