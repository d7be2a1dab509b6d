package io.opnp.numerics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The numerics a JVM computes with, settled once when it first loads the engine: the mode, why it
 * was chosen, the self-test's largest deviation from the float64 reference, and the engine's
 * versions. Recorded in outputs as provenance and printed by {@code opnp doctor}.
 *
 * @param selfTest the largest deviation of the self-test in the final mode, over every precision checked
 * @param steps what the guard did, in order (modes tried and their self-test results)
 */
public record NumericsStatus(NumericsMode mode, String reason, boolean passed, Deviation selfTest, double tolerance,
                             String engine, String libtorchVersion, String onednnVersion, CpuInfo cpu,
                             List<String> steps) {
  public NumericsStatus {
    steps = List.copyOf(steps);
  }

  /** One line for logs and the start of the quickstart. */
  public String summary() {
    return String.format("numerics %s: %s (%s); self-test %s, largest deviation %.2g (tolerance %.0e); %s %s, oneDNN %s",
        passed ? "OK" : "WRONG", mode.id(), reason, passed ? "passed" : "FAILED", selfTest.relative(), tolerance,
        engine, libtorchVersion, onednnVersion);
  }

  /** The provenance fields written into metrics.json, the sensitivity's metadata and saved ML models. */
  public Map<String, Object> provenance() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("engine", engine);
    m.put("libtorch_version", libtorchVersion);
    m.put("onednn_version", onednnVersion);
    m.put("numerics_mode", mode.id());
    m.put("numerics_reason", reason);
    m.put("self_test_passed", passed);
    m.put("self_test_max_deviation", selfTest.relative());
    m.put("cpu", cpu.modelName() + " (" + cpu.vendor() + " family " + cpu.family() + " model " + cpu.model() + ")");
    m.put("cpu_cache_visible", cpu.cacheVisible());
    return m;
  }
}
