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
}
