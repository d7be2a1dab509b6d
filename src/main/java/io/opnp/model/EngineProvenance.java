package io.opnp.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What computed the numbers, for metrics.json, the sensitivity's metadata and saved ML models: the
 * engines (libtorch; ONNX Runtime when an ONNX model ran), their versions, the Spark that ran it, and the numerics mode this JVM settled on with its self-test result.
 */
public final class EngineProvenance {
  private EngineProvenance() {}

  /** This JVM's numerics (settling them first if no model ran here yet). */
  public static Map<String, Object> current(boolean localMode) {
    Map<String, Object> m = new LinkedHashMap<>(EngineGuard.ensure().provenance());
    OnnxGuard.Status onnx = OnnxGuard.status();
    if (onnx != null) {  // an ONNX model ran in this JVM: ONNX Runtime computed its outputs
      m.putAll(onnx.provenance());
    }
    // The Spark that ran the job and the line the jar was built for (a 3.5 jar cannot run on Spark 4).
    m.put("spark_version", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    m.put("built_for_spark_line", io.opnp.BuildInfo.sparkLine());
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
