package io.opnp.math;

import dev.ludovic.netlib.blas.BLAS;

/**
 * The BLAS every product here uses: OpenBLAS where the machine has it and it agrees with netlib's
 * Java implementation on a check product, else that Java implementation (vectorized with
 * {@code --add-modules jdk.incubator.vector}); see {@link NativeLinearAlgebra}.
 */
public final class Blas {
  private Blas() {}

  public static BLAS get() {
    return NativeLinearAlgebra.get().blas();
  }
}
