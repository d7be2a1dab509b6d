package io.opnp.numerics;

import java.util.Locale;

/**
 * How libtorch computes on the CPU. {@link #DEFAULT} lets oneDNN use the processor's full ISA;
 * the safe modes avoid oneDNN's AVX-512 kernels, which compute wrong values on some VMs (issue 9).
 */
public enum NumericsMode {
  /** oneDNN at the processor's full ISA: libtorch as shipped. */
  DEFAULT("default", "libtorch as shipped (oneDNN at the CPU's full ISA)"),
  /** {@code ONEDNN_MAX_CPU_ISA=AVX2} in the process environment before oneDNN first dispatches. */
  AVX2("avx2", "oneDNN capped at AVX2 (ONEDNN_MAX_CPU_ISA=AVX2 set in the process before libtorch started)"),
  /** oneDNN switched off for convolutions at run time ({@code at::Context::setUserEnabledMkldnn(false)}). */
  NO_ONEDNN("no-onednn", "oneDNN off: convolutions by libtorch's own kernels (setUserEnabledMkldnn(false))"),
  /** The user set {@code ONEDNN_MAX_CPU_ISA} or {@code DNNL_MAX_CPU_ISA} themselves; left as they set it. */
  USER_ISA("user-isa", "oneDNN ISA capped by the user's environment");

  private final String id;
  private final String description;

  NumericsMode(String id, String description) {
    this.id = id;
    this.description = description;
  }

  public String id() {
    return id;
  }

  public String description() {
    return description;
  }

  public boolean safe() {
    return this != DEFAULT;
  }

  /** The setting {@code opnp.numerics} / {@code OPNP_NUMERICS}: auto, default, avx2 or no-onednn. */
  public static NumericsMode parseForced(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    for (NumericsMode m : values()) {
      if (m != USER_ISA && m.id.equals(v)) {
        return m;
      }
    }
    throw new IllegalArgumentException("numerics mode must be auto, default, avx2 or no-onednn, got '" + value
        + "' (system property opnp.numerics or environment variable OPNP_NUMERICS)");
  }
}
