package io.opnp.methods;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.math.LinearHead;
import io.opnp.math.OodMetrics;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fused detector: its score, its spec (checks, saved parameters) and what it buys over one member. */
class FusionTest {
  private static final int D = 8;
  private static final int C = 3;

  @Test
  void theFusionOfTwoDetectorsThatEachMissOneKindOfOodDataCatchesBoth() {
    // Member "energy" reads the logits of a head that looks at feature 0 only; member "knn" the features' direction.
    // OOD kind A: ID rows scaled down (energy sees it; the direction, all knn reads, is ID's); kind B: feature 0 as
    // in ID, the others turned to a new direction (knn sees it, energy cannot).
    Random r = new Random(5);
    double[] w = new double[C * D];
    for (int c = 0; c < C; c++) {
      w[c * D] = 1.0 + c;
    }
    LinearHead head = new LinearHead(C, D, w, new double[C]);
    double[] train = rows(400, r, 0);
    FittedState fit = FittedState.builder().bank(KnnBank.of(train, 400, D)).build();
    DetectorSpec energy = DetectorSpec.of(Method.ENERGY);
    DetectorSpec knn = DetectorSpec.of(Method.KNN).with(Param.KNN_K, 10);
    double[] heldOut = rows(200, r, 0);
    FittedState withRefs = fit.toBuilder().reference(energy.label(), score(energy.build(head, fit, 1), heldOut))
        .reference(knn.label(), score(knn.build(head, fit, 1), heldOut)).build();
    OodMethod fused = DetectorSpec.fusion(List.of(energy, knn)).build(head, withRefs, 1);
    double[] id = rows(200, r, 0);
    double[] kindA = rows(200, r, 1);
    double[] kindB = rows(200, r, 2);
    for (OodMethod m : List.of(energy.build(head, fit, 1), knn.build(head, fit, 1))) {
      double worst = Math.min(auroc(m, id, kindA), auroc(m, id, kindB));
      assertTrue(worst < 0.75, m.name() + " misses one kind: " + worst);
    }
    double worstFused = Math.min(auroc(fused, id, kindA), auroc(fused, id, kindB));
    assertTrue(worstFused > 0.9, "the fusion catches both kinds: " + worstFused);
  }

  @Test
  void scoringABatchGivesWhatCombiningTheMembersScoresGives() {
    Random r = new Random(9);
    LinearHead head = new LinearHead(C, D, gaussian(C * D, r), gaussian(C, r));
    FittedState fit = FittedState.builder().bank(KnnBank.of(rows(100, r, 0), 100, D)).build();
    List<DetectorSpec> members = List.of(DetectorSpec.of(Method.MSP), DetectorSpec.of(Method.KNN).with(Param.KNN_K, 5),
        DetectorSpec.of(Method.MAX_LOGIT));
    FittedState.Builder b = fit.toBuilder();
    List<double[]> refs = new java.util.ArrayList<>();
    for (DetectorSpec m : members) {
      double[] ref = score(m.build(head, fit, 1), rows(50, r, 0));
      refs.add(ref);
      b.reference(m.label(), ref);
    }
    double[] x = rows(30, r, 2);
    OodMethod fused = DetectorSpec.fusion(members).build(head, b.build(), 1);
    double[] got = score(fused, x);
    List<double[]> memberScores = members.stream().map(m -> score(m.build(head, fit, 1), x)).toList();
    double[] combined = Fusion.combine(memberScores, refs, DetectorSpec.COMBINATION);
    assertArrayEquals(combined, got);
    double[] smallest = Fusion.combine(memberScores, refs, Fusion.Combination.MIN);
    for (int i = 0; i < 30; i++) {
      assertTrue(got[i] >= 1.0 / 51 && got[i] <= 1, "a p-value: " + got[i]);
      // The harmonic mean lies between the smallest p-value and K times it.
      assertTrue(got[i] >= smallest[i] && got[i] <= members.size() * smallest[i], got[i] + " vs " + smallest[i]);
    }
  }

  @Test
  void aFusionSpecSavesItsMembersAndIsRebuiltFromThem() {
    PlanAndMembers p = new PlanAndMembers();
    DetectorSpec f = DetectorSpec.fusion(p.members);
    assertEquals(Method.FUSION, f.method());
    assertEquals(java.util.EnumSet.of(Method.Need.STATS, Method.Need.REACT_THRESHOLD, Method.Need.BANK,
        Method.Need.REFERENCES), f.needs());
    assertTrue(f.usesPlan());
    assertEquals(95.0, f.reactPercentile());
    Map<String, Object> saved = f.parameters();
    assertEquals(List.of("combination", "members"), List.copyOf(saved.keySet()));
    assertEquals("harmonic", saved.get("combination"));
    assertEquals(f, DetectorSpec.fromSaved(Method.FUSION, saved));
    // A fusion saved before the combination was recorded took the minimum, and its threshold was set for it.
    Map<String, Object> before = new java.util.LinkedHashMap<>(saved);
    before.remove("combination");
    assertEquals(DetectorSpec.fusion(p.members, Fusion.Combination.MIN), DetectorSpec.fromSaved(Method.FUSION, before));
    before.put("combination", "fisher");
    assertEquals("unknown fusion combination 'fisher'; known: [min, harmonic]",
        message(() -> DetectorSpec.fromSaved(Method.FUSION, before)));
    assertEquals(p.members.get(1), DetectorSpec.fromSaved(Method.OPNP_REACT,
        ((List<Map<String, Object>>) saved.get("members")).get(1).get("parameters") instanceof Map<?, ?> m
            ? cast(m) : null));
  }

  @Test
  void aFusionRefusesWhatItCannotScoreNamingIt() {
    DetectorSpec react90 = DetectorSpec.of(Method.REACT).with(Param.REACT_PERCENTILE, 90);
    DetectorSpec react95 = DetectorSpec.of(Method.REACT).with(Param.REACT_PERCENTILE, 95);
    DetectorSpec energy = DetectorSpec.of(Method.ENERGY);
    assertEquals("a fusion needs at least two member detectors, got [" + energy + "]",
        message(() -> DetectorSpec.fusion(List.of(energy))));
    assertEquals("fusion member energy is given twice", message(() -> DetectorSpec.fusion(List.of(energy, energy))));
    assertEquals("fusion members clip at one ReAct percentile at most, got [90.0, 95.0]",
        message(() -> DetectorSpec.fusion(List.of(react90, react95))));
    DetectorSpec two = DetectorSpec.fusion(List.of(energy, react90));
    assertEquals("a fusion cannot hold another fusion: " + two.label(),
        message(() -> DetectorSpec.fusion(List.of(two, react95))));
    assertEquals("method energy has no members (only fusion does)",
        message(() -> new DetectorSpec(Method.ENERGY, null, null, List.of(energy, react90))));
    assertEquals("method energy combines no members (only fusion does)",
        message(() -> new DetectorSpec(Method.ENERGY, null, null, List.of(), Fusion.Combination.MIN)));
    assertEquals("a fusion needs a combination of its members' p-values",
        message(() -> DetectorSpec.fusion(List.of(energy, react90), null)));
    assertEquals("a fusion's parameters need the list of its members, got null",
        message(() -> DetectorSpec.fromSaved(Method.FUSION, Map.of())));
    LinearHead head = new LinearHead(C, D, new double[C * D], new double[C]);
    assertEquals("no held-out ID scores of energy were kept (kept: [])",
        message(() -> two.build(head, FittedState.builder().react(new double[] {90}, new double[] {1}).build(), 1)));
  }

  /** Members from three families, one of them pruning, one clipping. */
  private static final class PlanAndMembers {
    final List<DetectorSpec> members = List.of(DetectorSpec.of(Method.NCI),
        DetectorSpec.of(Method.OPNP_REACT).withPlan(new io.opnp.math.PruningPercentages(1, 0, 10, 0))
            .with(Param.REACT_PERCENTILE, 95), DetectorSpec.of(Method.KNN).with(Param.KNN_K, 50));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  private static String message(Runnable call) {
    return assertThrows(IllegalArgumentException.class, call::run).getMessage();
  }

  private static double auroc(OodMethod m, double[] id, double[] ood) {
    return OodMetrics.of(score(m, id), score(m, ood)).auroc();
  }

  private static double[] score(OodMethod m, double[] rows) {
    int n = rows.length / D;
    double[] out = new double[n];
    m.score(rows, n, out);
    return out;
  }

  /**
   * n rows: ID (kind 0) has feature 0 around 3 and the others around 1; kind 1 is ID scaled by 0.3; kind 2 keeps
   * feature 0 and puts the rest of the norm into the last feature.
   */
  private static double[] rows(int n, Random r, int kind) {
    double[] x = new double[n * D];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < D; j++) {
        double base = j == 0 ? 3 : kind == 2 ? (j == D - 1 ? Math.sqrt(D - 1.0) : 0) : 1;
        x[i * D + j] = Math.max(0, (kind == 1 ? 0.3 : 1) * (base + 0.2 * r.nextGaussian()));
      }
    }
    return x;
  }

  private static double[] gaussian(int n, Random r) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextGaussian();
    }
    return a;
  }
}
