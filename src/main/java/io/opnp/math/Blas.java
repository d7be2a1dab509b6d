package io.opnp.math;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;

/**
 * The BLAS every float64 product here uses: netlib's Java implementation (vectorized with
 * {@code --add-modules jdk.incubator.vector}, plain Java otherwise), never a native library that
 * happens to be installed. {@code BLAS.getInstance()} would pick the machine's {@code libblas.so.3}
 * when present (Debian's reference BLAS comes with many packages), and sums would then round
 * differently depending on what else is installed, and between small and large products on the
 * same machine. Sums can still differ in the last bits between machines of different vector widths
 * (AVX2 against AVX-512 lanes): around 1e-16 relative.
 */
public final class Blas {
  private Blas() {}

  public static BLAS get() {
    return JavaBLAS.getInstance();
  }
}
