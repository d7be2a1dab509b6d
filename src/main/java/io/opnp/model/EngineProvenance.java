package io.opnp.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What computed the numbers, for metrics.json, the sensitivity's metadata and saved ML models: the
 * engine, its versions, and the numerics mode this JVM settled on with its self-test result.
 */
public final class EngineProvenance {
  private EngineProvenance() {}

  /** This JVM's numerics (settling them first if no model ran here yet). */
  public static Map<String, Object> current(boolean localMode) {
    Map<String, Object> m = new LinkedHashMap<>(EngineGuard.ensure().provenance());
    m.put("executors", localMode ? "local mode: the executors are this JVM"
        : "each executor JVM runs the same self-test on its first model load and stops the job if it fails; "
            + "its numerics mode is in its log (EngineGuard)");
    return m;
  }

  public static String json(boolean localMode) {
    try {
      return new ObjectMapper().writeValueAsString(current(localMode));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
