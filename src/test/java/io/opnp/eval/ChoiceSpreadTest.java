package io.opnp.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.decision.ChoiceUncertainty;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChoiceSpreadTest {
  private static ChoiceSpread spread(boolean secondTied) {
    ChoiceUncertainty.Result r = new ChoiceUncertainty.Result(0, new double[] {0.7, 0.3, 0}, new double[] {0, -0.01,
        -0.05}, new double[] {0, secondTied ? 0.004 : -0.001, -0.02}, new boolean[] {true, secondTied, false}, 200);
    return ChoiceSpread.of(List.of("vim", "knn(k=10)", "energy"), r);
  }

  @Test
  void aTieIsSaidInBoldWithTheAdviceAndEveryLeaderIsListed() {
    String md = spread(true).markdown();
    assertTrue(md.contains("**the validation data cannot tell vim from 1 other configuration(s)**"), md);
    assertTrue(md.contains("`--val-ood`"), md);
    assertTrue(md.contains("| knn(k=10) | 30.0 % | -1.00 … +0.40 | yes |"), md);
    assertTrue(md.contains("| energy | 0.0 % | -5.00 … -2.00 | no |"), md);
    assertTrue(md.contains("| vim | 70.0 % | +0.00 … +0.00 | (first) |"), md);
  }

  @Test
  void withoutATieTheShareOfResamplesIsGiven() {
    ChoiceSpread s = spread(false);
    assertTrue(s.tiedWithChosen().isEmpty());
    assertTrue(s.markdown().startsWith("How sure the ranking is of its first place: the validation data tells vim from the next 2 "
        + "configurations (paired bootstrap, 200 resamples of the validation rows); it ranked first in 70 % of the "
        + "resamples."), s.markdown());
  }

  @Test
  void jsonCarriesEachLeadersFigures() {
    Map<String, Object> j = spread(true).json();
    assertEquals(200, j.get("resamples"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> rows = (List<Map<String, Object>>) j.get("leading");
    assertEquals(List.of("vim", "knn(k=10)", "energy"), rows.stream().map(r -> r.get("detector")).toList());
    assertEquals(List.of(-0.01, 0.004), rows.get(1).get("criterion_minus_chosen_interval"));
    assertEquals(true, rows.get(1).get("indistinguishable_from_chosen"));
    assertEquals(0.3, rows.get(1).get("best_in_share_of_resamples"));
  }
}
