package io.opnp.eval;

import io.opnp.math.PruningPercentages;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.KnnBank;
import java.util.List;

/** The selection's grid, for tests of other packages. */
public final class DetectorSelectionAccess {
  private DetectorSelectionAccess() {}

  public static List<DetectorSpec> grid(PruningPercentages plan, KnnBank bank, int classes) {
    return DetectorSelection.grid(plan, bank, classes);
  }
}
