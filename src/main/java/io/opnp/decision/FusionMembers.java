package io.opnp.decision;

import io.opnp.math.Check;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;
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

  /**
   * A member and what stood in for it: {@code member} is {@code leader} itself, or its method at the papers'
   * defaults when the validation data could not tell the leader's setting from them.
   */
  public record Choice(Candidate leader, Candidate member) {
    public boolean atDefaults() {
      return leader != member;
    }
  }

  /**
   * Each leader, or its method's configuration at the papers' defaults when the validation data cannot tell the two
   * apart. A setting that leads the proxies by noise is worth less than the defaults, which the methods' authors
   * chose over many benchmarks (the one-standard-error rule of model selection, with the defaults as the simpler
   * model); measured on real models: BENCHMARKS.md, "Choosing the detector on real models, part 4".
   *
   * @param atDefaults the configuration of a leader's method at its defaults, when the candidates hold it
   * @param toldApart whether the validation data tells the leader (first) from the default configuration (second)
   */
  public static List<Choice> defaultsUnlessToldApart(List<Candidate> leaders,
      Function<Candidate, Optional<Candidate>> atDefaults, BiPredicate<Candidate, Candidate> toldApart) {
    List<Choice> out = new ArrayList<>();
    for (Candidate leader : leaders) {
      Candidate member = atDefaults.apply(leader).filter(d -> d != leader && !toldApart.test(leader, d))
          .orElse(leader);
      out.add(new Choice(leader, member));
    }
    return out;
  }
}
