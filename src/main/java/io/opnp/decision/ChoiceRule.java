package io.opnp.decision;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the recommended detector follows from the validation ranking. The proxies are a guess about unseen OOD data,
 * and on real models they favour one family of methods (feature-space distances) more than real OOD data does: the
 * single best configuration on the proxies scored far under the best method on real ImageNet OOD photographs
 * (BENCHMARKS.md, "Choosing the detector"). Fusing the leaders of different families keeps most of the leader's
 * strength where the proxies are right and covers its blind spot where they are not.
 */
public enum ChoiceRule {
  /**
   * The harmonic mean of the conformal p-values of the leading configurations of the first {@link #FAMILIES} method
   * families, ranked by {@link #MEMBER_CRITERION}.
   */
  FUSION,
  /** The configuration ranked first by the criterion. */
  BEST;

  /** How many method families a fusion takes its members from. */
  public static final int FAMILIES = 2;
  /** How a fusion's members are ranked: by their worst proxy, whatever criterion ranks the single configurations. */
  public static final Criterion MEMBER_CRITERION = Criterion.WORST;

  /** Its name as options and saved files write it: "fusion" or "best". */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The rule by name, ignoring case and surrounding blanks; fails naming the known ones. */
  public static ChoiceRule parse(String name) {
    for (ChoiceRule r : values()) {
      if (name != null && r.key().equals(name.strip().toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    throw new IllegalArgumentException(String.format("unknown choice rule '%s'; choose one of: %s", name,
        Arrays.stream(values()).map(ChoiceRule::key).collect(Collectors.joining(", "))));
  }
}
