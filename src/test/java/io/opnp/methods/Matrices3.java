package io.opnp.methods;

/** Small matrices by hand, for tests that need an inverse computed another way than the code under test. */
final class Matrices3 {
  private Matrices3() {}

  /** The inverse of a 3×3 matrix by cofactors. */
  static double[] inverse3(double[] a) {
    double[] cof = new double[9];
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 3; c++) {
        int r1 = (r + 1) % 3;
        int r2 = (r + 2) % 3;
        int c1 = (c + 1) % 3;
        int c2 = (c + 2) % 3;
        cof[r * 3 + c] = a[r1 * 3 + c1] * a[r2 * 3 + c2] - a[r1 * 3 + c2] * a[r2 * 3 + c1];
      }
    }
    double det = a[0] * cof[0] + a[1] * cof[1] + a[2] * cof[2];
    double[] inv = new double[9];
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 3; c++) {
        inv[r * 3 + c] = cof[c * 3 + r] / det;  // adjugate = cofactorsᵀ
      }
    }
    return inv;
  }
}
