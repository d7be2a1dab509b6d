package io.opnp.math;

import dev.ludovic.netlib.lapack.JavaLAPACK;
import dev.ludovic.netlib.lapack.LAPACK;

/**
 * The LAPACK every factorization here uses: netlib's pure-Java implementation (the reference LAPACK
 * translated by f2j), never a native {@code liblapack.so.3} that happens to be installed, for the
 * same reason as {@link Blas}: results must not depend on what else is on the machine.
 */
public final class Lapack {
  private Lapack() {}

  public static LAPACK get() {
    return JavaLAPACK.getInstance();
  }
}
