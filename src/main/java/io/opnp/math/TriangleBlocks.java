package io.opnp.math;

/**
 * A D×D matrix cut into {@code b × b} near-equal blocks, and the blocks on or below its diagonal:
 * products that only need one triangle (a triangular whitener, a symmetric sum) multiply those
 * {@code b(b+1)/2} blocks instead of all {@code b²} (36 of 64 for b = 8).
 */
public final class TriangleBlocks {
  private TriangleBlocks() {}

  /** One block: rows {@code r0 … r0+rows−1}, columns {@code c0 … c0+cols−1}. */
  @FunctionalInterface
  public interface Block {
    void at(int r0, int rows, int c0, int cols);
  }

  /** Calls {@code block} for every block (r, c) with c ≤ r, by row blocks then column blocks; b = min(blocks, dim). */
  public static void lower(int dim, int blocks, Block block) {
    Check.positive(dim, "dim");
    int b = Math.min(Check.positive(blocks, "blocks"), dim);
    for (int r = 0; r < b; r++) {
      int r0 = r * dim / b;
      for (int c = 0; c <= r; c++) {
        int c0 = c * dim / b;
        block.at(r0, (r + 1) * dim / b - r0, c0, (c + 1) * dim / b - c0);
      }
    }
  }
}
