package io.opnp.math;

import dev.ludovic.netlib.lapack.LAPACK;

/**
 * The LAPACK every factorization here uses: OpenBLAS's where {@link Blas} is OpenBLAS, else netlib's
 * Java translation of the reference LAPACK; see {@link NativeLinearAlgebra}.
 */
public final class Lapack {
  private Lapack() {}

  public static LAPACK get() {
    return NativeLinearAlgebra.get().lapack();
  }
}
