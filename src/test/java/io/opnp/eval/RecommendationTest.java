package io.opnp.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.opnp.decision.BinomialInterval;
import io.opnp.decision.Candidate;
import io.opnp.decision.Criterion;
import io.opnp.decision.FalseAlarmEstimate;
import io.opnp.decision.Interval;
import io.opnp.decision.Selection;
import io.opnp.math.OodMetrics;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.Param;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The typed recommendation renders metrics.json's "recommendation" exactly as the untyped map did:
 * the golden files under {@code recommendation/} were written by that code from these same outcomes (two keys,
 * {@code choice_rule} and {@code proxy_weights}, added since by hand where the code of December 2026 puts them).
 */
class RecommendationTest {
  private static final FalseAlarmEstimate FAR = new FalseAlarmEstimate(-1.25, 0.05, new Interval(0.03, 0.08, 0.95),
      2000);
  private static final EvaluateJob.Decision DECISION = new EvaluateJob.Decision(0.95, Criterion.MEAN, 2000,
      EvaluateJob.SweepMode.GRID, io.opnp.decision.ChoiceRule.BEST, 0.5);

  /** Three proxies; react wins, pruning beats energy but not react, and the audit flips on two proxies. */
  private static DetectorSelection.Outcome threeProxies() {
    Selection sel = Selection.select(List.of("val-mix", "val-far", "val-noise"), List.of(
        new Candidate("energy", "", new double[] {0.88, 0.84, 0.86}, new double[] {0.5, 0.6, 0.55}),
        new Candidate("react", "clip p=90", new double[] {0.93, 0.80, 0.95}, new double[] {0.3, 0.5, 0.2}),
        new Candidate("opnp", "w 10-0 o 5-0", new double[] {0.90, 0.86, 0.90}, new double[] {0.4, 0.45, 0.35})),
        Criterion.MEAN, "energy", m -> m.startsWith("opnp"));
    DetectorSpec spec = DetectorSpec.of("react").with(Param.REACT_PERCENTILE, 90);
    return new DetectorSelection.Outcome(sel, spec, null, FAR, new double[40], List.of(), null, 0, null, 40, Map.of(),
        List.of(spec), "grid", null, null, null);
  }

  /** One proxy, energy alone: no pruning detector, so best_pruning is null and its criterion NaN. */
  private static DetectorSelection.Outcome oneProxyNoPruning() {
    Selection sel = Selection.select(List.of("val-far"), List.of(
        new Candidate("energy", "", new double[] {0.88}, new double[] {0.5})), Criterion.WORST, "energy",
        m -> m.startsWith("opnp"));
    return new DetectorSelection.Outcome(sel, DetectorSpec.of("energy"), null, FAR, new double[25], List.of(), null, 0,
        null, 25, Map.of(), List.of(), "grid", null, null, null);
  }

  private static List<Recommendation.TestFigures> figures() {
    return List.of(
        new Recommendation.TestFigures("fm", 100, 0.04, BinomialInterval.wilson(4, 100, 0.95), null),
        new Recommendation.TestFigures("mnist", 50, 0.9, BinomialInterval.wilson(45, 50, 0.95),
            new OodMetrics(0.2, 0.97, 0.96, 0.95, 0.21)),
        new Recommendation.TestFigures("noise", 30, 1.0, BinomialInterval.wilson(30, 30, 0.95),
            new OodMetrics(0.0, 1.0, 1.0, 1.0, 0.0)));
  }

  private static String render(Object json) throws Exception {
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json);
  }

  private static String golden(String name) throws Exception {
    try (InputStream in = RecommendationTest.class.getResourceAsStream("/recommendation/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void jsonIsByteForByteWhatTheUntypedMapRenderedWithTheChoiceRuleAndWeightsAdded() throws Exception {
    assertEquals(golden("three-proxies.json"), render(Recommendation.of(threeProxies(), DECISION, figures()).json()));
    assertEquals(golden("one-proxy-no-pruning.json"),
        render(Recommendation.of(oneProxyNoPruning(), DECISION, figures().subList(0, 1)).json()));
  }

  @Test
  void jsonKeysComeInTodaysOrderAndCarryTheFieldsValues() {
    Recommendation r = Recommendation.of(threeProxies(), DECISION, figures());
    Map<String, Object> j = r.json();
    assertEquals(List.of("method", "label", "parameters", "criterion", "criterion_auroc", "choice_rule", "proxies",
        "proxy_weights", "why",
        "threshold", "ranking", "leave_one_out", "stable", "pruning", "test", "test_average_auroc"),
        new ArrayList<>(j.keySet()));
    assertEquals(r.method(), j.get("method"));
    assertEquals("react", r.method());
    assertEquals(r.label(), j.get("label"));
    assertEquals(r.parameters(), j.get("parameters"));
    assertEquals("mean", j.get("criterion"));
    assertEquals(r.criterionAuroc(), j.get("criterion_auroc"));
    assertEquals((0.93 + 0.80 + 0.95) / 3, r.criterionAuroc(), 1e-15);
    assertEquals(r.proxies(), j.get("proxies"));
    assertEquals(r.why(), j.get("why"));
    assertEquals(r.stable(), j.get("stable"));
    assertEquals(r.testAverageAuroc(), j.get("test_average_auroc"));
    assertEquals((0.97 + 1.0) / 2, r.testAverageAuroc(), 1e-15);

    Map<?, ?> t = (Map<?, ?>) j.get("threshold");
    assertEquals(List.of("keep_id_share", "threshold", "rule", "calibration_id_count", "expected_false_alarm_rate",
        "false_alarm_interval_95", "bootstrap_resamples"), new ArrayList<>(t.keySet()));
    Recommendation.ThresholdFigures thr = r.threshold();
    assertEquals(List.of(0.95, -1.25, 40, 0.05, 2000), List.of(thr.keepIdShare(), thr.threshold(),
        thr.calibrationIdCount(), thr.expectedFalseAlarmRate(), thr.bootstrapResamples()));
    assertEquals(List.of(thr.keepIdShare(), thr.threshold(), Recommendation.RULE, thr.calibrationIdCount(),
        thr.expectedFalseAlarmRate(), List.of(0.03, 0.08), thr.bootstrapResamples()), new ArrayList<>(t.values()));

    Map<?, ?> p = (Map<?, ?>) j.get("pruning");
    assertEquals(List.of("helps", "reason", "best_pruning", "best_pruning_criterion_auroc", "energy_criterion_auroc"),
        new ArrayList<>(p.keySet()));
    Recommendation.Pruning pr = r.pruning();
    assertTrue(pr.helps());
    assertEquals("opnp(w 10-0 o 5-0)", pr.bestPruning());
    assertEquals(List.of(pr.helps(), pr.reason(), pr.bestPruning(), pr.bestPruningCriterionAuroc(),
        pr.energyCriterionAuroc()), new ArrayList<>(p.values()));

    assertEquals(List.of("react(clip p=90)", "opnp(w 10-0 o 5-0)", "energy"),
        r.ranking().stream().map(Recommendation.Ranked::detector).toList());
    assertEquals(new Recommendation.ProxyFigures("val-far", 0.80, 0.5), r.ranking().get(0).proxies().get(1));
    assertEquals(List.of(true, false, true), r.leaveOneOut().stream().map(Recommendation.Audit::changed).toList());
    assertEquals(List.of("fm", "mnist", "noise"), new ArrayList<>(((Map<?, ?>) j.get("test")).keySet()));
  }

  @Test
  void bundleSummaryHoldsTheSelectionKeysAsTheRecommendationRendersThem() {
    Recommendation r = Recommendation.of(threeProxies(), DECISION, figures());
    Map<String, Object> json = r.json();
    Map<String, Object> summary = r.bundleSummary();
    List<String> keys = List.of("criterion", "criterion_auroc", "choice_rule", "proxies",
        "proxy_weights", "why", "stable", "pruning");
    assertEquals(keys, new ArrayList<>(summary.keySet()));
    for (String k : keys) {
      assertEquals(json.get(k), summary.get(k), k);
    }
  }

  @Test
  void noPruningDetectorGivesANullBestPruningAndNaNCriterion() {
    Recommendation r = Recommendation.of(oneProxyNoPruning(), DECISION, figures().subList(0, 1));
    assertNull(r.pruning().bestPruning());
    assertTrue(Double.isNaN(r.pruning().bestPruningCriterionAuroc()));
    assertTrue(Double.isNaN(r.testAverageAuroc()), "no OOD test set, no average");
    assertTrue(r.json().containsKey("leave_one_out") && r.leaveOneOut().isEmpty());
  }

  @Test
  void isImmutable() {
    Recommendation r = Recommendation.of(threeProxies(), DECISION, figures());
    assertThrows(UnsupportedOperationException.class, () -> r.ranking().clear());
    assertThrows(UnsupportedOperationException.class, () -> r.parameters().put("x", 1));
    assertThrows(UnsupportedOperationException.class, () -> r.test().clear());
  }

  @Test
  void theUsersOwnOodSetsEachWeighAsMuchAsAllTheMadeProxiesTogether() {
    EvaluateJob.Roles roles = new EvaluateJob.Roles("train", "val-id", List.of("my-ood", "val-id+shuffle",
        "val-id+blur", "val-id+rotate", "other-ood"), "test", List.of("o"), 0, 100);
    assertArrayEquals(new double[] {3, 1, 1, 1, 3}, roles.proxyWeights());
    EvaluateJob.Roles onlyReal = new EvaluateJob.Roles("train", "val-id", List.of("my-ood"), "test", List.of("o"), 0,
        100);
    assertArrayEquals(new double[] {1}, onlyReal.proxyWeights());
    assertArrayEquals(new boolean[] {true, false, false, false, true}, roles.realOod());
    assertArrayEquals(new boolean[] {true}, onlyReal.realOod());
  }
}
