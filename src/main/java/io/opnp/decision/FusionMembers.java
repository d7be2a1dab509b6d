package io.opnp.decision;

import io.opnp.math.Check;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** Which configurations a fusion takes: down the validation ranking, the first of each new method family. */
public final class FusionMembers {
  private FusionMembers() {}

  /**
   * The leading configuration of each of the first {@code families} families in {@code ranking} (best first), in
   * ranking order; fewer when the ranking holds fewer families.
   *
   * @param familyOf the family of a candidate's method
   */
  public static List<Candidate> leaders(List<Candidate> ranking, Function<String, ?> familyOf, int families) {
    Check.argument(families >= 1, "a fusion takes members from at least one family, got %s", families);
    Set<Object> seen = new LinkedHashSet<>();
    List<Candidate> out = new ArrayList<>();
    for (Candidate c : ranking) {
      if (out.size() == families) {
        break;
      }
      if (seen.add(familyOf.apply(c.method()))) {
        out.add(c);
      }
    }
    return out;
  }
}
