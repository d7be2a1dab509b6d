package io.opnp.numerics;

/**
 * Which numerics mode to start in and what to do after each self-test. Pure decisions, so every
 * branch is tested without the fault at hand; {@code io.opnp.model.EngineGuard} carries them out.
 *
 * <ul>
 *   <li>auto (the default): a processor {@link CpuInfo#knownToTrip() known to trip} oneDNN starts in
 *       {@link #PREFERRED_SAFE}; any other starts in {@link NumericsMode#DEFAULT}. A failed self-test
 *       switches oneDNN off for convolutions at run time (the one remedy still possible once oneDNN
 *       has started) and tests again; a second failure stops the job.</li>
 *   <li>a mode forced with {@code opnp.numerics}/{@code OPNP_NUMERICS}: used as given; a failed
 *       self-test stops the job (the user asked for exactly that mode).</li>
 *   <li>{@code ONEDNN_MAX_CPU_ISA}/{@code DNNL_MAX_CPU_ISA} already in the environment: left alone,
 *       with the run-time fallback of auto.</li>
 * </ul>
 */
public final class NumericsPolicy {
  /**
   * The safe mode chosen before libtorch starts on a processor known to trip oneDNN. The ISA cap
   * is the remedy verified on a machine with the fault (issue 9) and, measured with jobs/bench on
   * this project's machines, the faster of the two (BENCHMARKS.md, "Numerics modes").
   */
  public static final NumericsMode PREFERRED_SAFE = NumericsMode.AVX2;

  private NumericsPolicy() {}

  /** A mode, why, and whether the guard may still change it. */
  public record Choice(NumericsMode mode, String reason, boolean automatic) {}

  /** What follows a self-test. */
  public enum Action { ACCEPT, FALL_BACK, FAIL }

  /**
   * The mode to start in.
   *
   * @param forced the value of opnp.numerics / OPNP_NUMERICS, or null or "auto"
   * @param userIsa ONEDNN_MAX_CPU_ISA (or DNNL_MAX_CPU_ISA) from the environment, or null
   */
  public static Choice initial(CpuInfo cpu, String forced, String userIsa) {
    if (forced != null && !forced.isBlank() && !forced.trim().equalsIgnoreCase("auto")) {
      NumericsMode m = NumericsMode.parseForced(forced);
      return new Choice(m, "forced with opnp.numerics/OPNP_NUMERICS=" + m.id(), false);
    }
    if (userIsa != null && !userIsa.isBlank()) {
      return new Choice(NumericsMode.USER_ISA, "ONEDNN_MAX_CPU_ISA=" + userIsa + " set in the environment", true);
    }
    return new Choice(cpu.knownToTrip() ? PREFERRED_SAFE : NumericsMode.DEFAULT, cpu.tripReason(), true);
  }

  /** After a self-test in {@code current}: keep it, fall back to oneDNN off, or stop. */
  public static Action after(Choice current, boolean passed) {
    if (passed) {
      return Action.ACCEPT;
    }
    return current.automatic() && current.mode() != NumericsMode.NO_ONEDNN ? Action.FALL_BACK : Action.FAIL;
  }

  /** The mode after a fallback, and what failed (the self-test, a model's golden outputs). */
  public static Choice fallback(Choice failed, String what, Deviation deviation) {
    return new Choice(NumericsMode.NO_ONEDNN, what + " failed in mode " + failed.mode().id()
        + String.format(" (largest deviation %.3g)", deviation.relative()) + ", so oneDNN was switched off", true);
  }

  /**
   * What a user does when no mode the guard reached computes right.
   *
   * @param forced a mode was forced with opnp.numerics/OPNP_NUMERICS (the guard could not choose)
   * @param avx2Tried the AVX2 cap was in force in a mode that failed (suggesting it again is no help)
   * @param x86 the processor is x86 (oneDNN's ISA names mean nothing elsewhere)
   */
  public static String fix(boolean forced, boolean avx2Tried, boolean x86) {
    String doctor = "'opnp doctor' on that machine shows the details (README, 'Numerics on every machine')";
    String prefix = forced ? "remove the forced numerics mode (-Dopnp.numerics / OPNP_NUMERICS) so that the guard "
        + "can choose a safe mode by itself, or force another one (avx2, no-onednn); otherwise " : "";
    if (!x86) {
      return prefix + "run on another machine type and report the machine: " + doctor;
    }
    String where = " in their environment: for jobs/* run 'export ONEDNN_MAX_CPU_ISA=%s' first; under spark-submit "
        + "add --conf spark.executorEnv.ONEDNN_MAX_CPU_ISA=%s for the executors and, for the driver, export it "
        + "before spark-submit (client mode), or --conf spark.yarn.appMasterEnv.ONEDNN_MAX_CPU_ISA=%s (YARN cluster "
        + "mode), or --conf spark.kubernetes.driverEnv.ONEDNN_MAX_CPU_ISA=%s (Kubernetes); ";
    if (avx2Tried) {
      return prefix + "the AVX2 cap did not help here either: start the JVMs with ONEDNN_MAX_CPU_ISA=SSE41"
          + String.format(where, "SSE41", "SSE41", "SSE41", "SSE41") + "or run on another machine type; " + doctor;
    }
    return prefix + "start the JVMs with ONEDNN_MAX_CPU_ISA=AVX2" + String.format(where, "AVX2", "AVX2", "AVX2", "AVX2")
        + doctor;
  }
}
