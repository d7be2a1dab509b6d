package io.opnp.math;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp by the Vector API, loaded only when {@link ExpSums#VECTORIZED}: x = n·ln2 + r with
 * |r| ≤ ln2/2 (n by the 1.5·2⁵² rounding trick, ln2 split in two for exactness), e^r by its Taylor
 * polynomial to degree 13 (truncation below 1e-17 relative), times 2ⁿ built in the exponent bits.
 * Inputs are clamped at −708, where e^x is already below 1e-307: a sum of such terms with a largest
 * term of 1 is unchanged by it.
 */
final class VectorExp {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
  private static final double LOG2E = 1.4426950408889634;
  private static final double LN2_HI = 6.93147180369123816490e-01;
  private static final double LN2_LO = 1.90821492927058770002e-10;
  private static final double MAGIC = 6755399441055744.0;  // 1.5 · 2^52
  private static final long MAGIC_BITS = Double.doubleToRawLongBits(MAGIC);
  private static final double[] TAYLOR = new double[14];  // 1/13!, 1/12!, ..., 1/1!, 1/0!

  static {
    double f = 1;
    for (int i = 1; i <= 13; i++) {
      f *= i;
    }
    for (int i = 13; i >= 0; i--) {
      TAYLOR[13 - i] = 1.0 / f;
      f = i == 0 ? 1 : f / i;
    }
  }

  private VectorExp() {}

  static void add(double[] x, int off, double[] max, double[] total, int n) {
    int lanes = SPECIES.length();
    int k = 0;
    for (; k + lanes <= n; k += lanes) {
      DoubleVector v = DoubleVector.fromArray(SPECIES, x, off + k).sub(DoubleVector.fromArray(SPECIES, max, k));
      DoubleVector.fromArray(SPECIES, total, k).add(exp(v)).intoArray(total, k);
    }
    ExpSums.addScalar(x, off, max, total, k, n);
  }

  static DoubleVector exp(DoubleVector x) {
    x = x.max(-708.0);
    DoubleVector t = x.fma(LOG2E, MAGIC);
    LongVector n = t.reinterpretAsLongs().sub(MAGIC_BITS);
    DoubleVector nd = t.sub(MAGIC);
    DoubleVector r = x.sub(nd.mul(LN2_HI)).sub(nd.mul(LN2_LO));
    DoubleVector p = DoubleVector.broadcast(SPECIES, TAYLOR[0]);
    for (int i = 1; i < TAYLOR.length; i++) {
      p = p.fma(r, DoubleVector.broadcast(SPECIES, TAYLOR[i]));
    }
    return p.mul(n.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles());
  }
}
