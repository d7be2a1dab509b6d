package io.opnp.cluster;

import java.util.List;

/** Child-JVM command lines for tests in other packages. */
public final class ClusterTestAccess {
  private ClusterTestAccess() {}

  public static List<String> javaCommand() {
    return ClusterTestSupport.javaCommand();
  }

  public static String djlCache() {
    return ClusterTestSupport.djlCache();
  }

  /** Removes the numerics settings a developer's shell may hold (ClusterTestSupport.NUMERICS_ENVIRONMENT). */
  public static void cleanEnvironment(java.util.Map<String, String> env) {
    ClusterTestSupport.cleanEnvironment(env);
  }

  public static String fixIsa() {
    return ClusterTestSupport.fixIsa();
  }
}
