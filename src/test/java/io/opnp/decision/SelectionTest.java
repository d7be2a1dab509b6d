package io.opnp.decision;

import static io.opnp.decision.ThresholdTest.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class SelectionTest {
  private static final List<String> THREE = List.of("textures", "places", "inat");
  private static final Predicate<String> PRUNING = "opnp"::equals;

  private static Candidate c(String method, String setting, double... aurocs) {
    double[] fpr95s = new double[aurocs.length];
    for (int i = 0; i < aurocs.length; i++) {
      fpr95s[i] = 1 - aurocs[i];
    }
    return new Candidate(method, setting, aurocs, fpr95s);
  }

  private static Selection select(List<String> proxies, Criterion criterion, Candidate... candidates) {
    return Selection.select(proxies, List.of(candidates), criterion, "energy", PRUNING);
  }

  @Test
  void aPruningDetectorThatWinsOnAverageIsChosenAndHelps() {
    Candidate energy = c("energy", "", 0.90, 0.90, 0.90);
    Candidate react = c("react", "p=90", 0.92, 0.90, 0.89);
    Candidate opnp = c("opnp", "p=90", 0.95, 0.93, 0.94);
    Selection s = select(THREE, Criterion.MEAN, energy, react, opnp);
    assertSame(opnp, s.chosen());
    assertEquals(List.of(opnp, react, energy), s.ranking());
    PruningVerdict v = s.verdict();
    assertTrue(v.helps());
    assertSame(opnp, v.bestPruning());
    assertSame(energy, v.baseline());
    assertEquals(0.94, v.bestPruningCriterion(), 1e-12);
    assertEquals(0.90, v.baselineCriterion(), 1e-12);
    assertEquals("pruning helps this model: the best pruning detector, opnp(p=90), averages 94.00 % AUROC over the 3 "
        + "validation proxies against 90.00 % for plain energy", v.reason());
    assertTrue(s.stable());
    assertEquals(3, s.audit().size());
  }

  @Test
  void pruningBestOnOneProxyButWorseOnAverageDoesNotHelp() {
    Candidate energy = c("energy", "", 0.90, 0.90, 0.90);
    Candidate sharp = c("opnp", "p=50", 0.99, 0.80, 0.80);
    Candidate mild = c("opnp", "p=90", 0.85, 0.88, 0.89);
    Selection s = select(THREE, Criterion.MEAN, energy, sharp, mild);
    assertSame(energy, s.chosen());
    assertFalse(s.verdict().helps());
    assertSame(mild, s.verdict().bestPruning(), "mean 87.33 % beats 86.33 %");
    assertEquals("pruning does not help this model: the best pruning detector, opnp(p=90), averages 87.33 % AUROC "
        + "over the 3 validation proxies against 90.00 % for plain energy", s.verdict().reason());
  }

  @Test
  void meanAndWorstCaseChooseDifferently() {
    Candidate spiky = c("opnp", "p=10", 0.99, 0.70);
    Candidate even = c("energy", "", 0.84, 0.83);
    List<String> two = List.of("near", "far");
    assertSame(spiky, select(two, Criterion.MEAN, even, spiky).chosen());
    Selection worst = select(two, Criterion.WORST, even, spiky);
    assertSame(even, worst.chosen());
    assertEquals(0.70, worst.criterionOf(spiky), 1e-12);
    assertEquals("pruning does not help this model: the best pruning detector, opnp(p=10), has a worst-case AUROC of "
        + "70.00 % over the 2 validation proxies against 83.00 % for plain energy", worst.verdict().reason());
  }

  @Test
  void leaveOneOutFindsTheProxyTheChoiceHingesOn() {
    Candidate x = c("opnp", "p=70", 0.99, 0.80, 0.80);  // mean 86.33 %, carried by textures
    Candidate y = c("energy", "", 0.85, 0.86, 0.86);    // mean 85.67 %
    Selection s = select(THREE, Criterion.MEAN, y, x);
    assertSame(x, s.chosen());
    assertFalse(s.stable());
    List<LeaveOneOut> audit = s.audit();
    assertEquals(List.of("textures", "places", "inat"), audit.stream().map(LeaveOneOut::leftOut).toList());
    assertEquals(List.of(true, false, false), audit.stream().map(LeaveOneOut::changed).toList());
    assertSame(y, audit.get(0).chosenWithout());
    assertEquals(0.85, audit.get(0).leftOutAurocOfChosenWithout());
    assertSame(x, audit.get(1).chosenWithout());
    assertEquals(0.80, audit.get(1).leftOutAurocOfChosenWithout());
  }

  @Test
  void leaveOneOutUsesTheCriterionOnTheRemainingProxies() {
    Candidate x = c("opnp", "", 0.60, 0.95, 0.95);  // worst 60 % only because of textures
    Candidate y = c("energy", "", 0.80, 0.80, 0.80);
    Selection s = select(THREE, Criterion.WORST, x, y);
    assertSame(y, s.chosen());
    assertEquals(List.of(true, false, false), s.audit().stream().map(LeaveOneOut::changed).toList());
  }

  @Test
  void aSingleProxyHasNoAudit() {
    Selection s = select(List.of("textures"), Criterion.MEAN, c("energy", "", 0.9), c("opnp", "p=90", 0.8));
    assertTrue(s.audit().isEmpty());
    assertTrue(s.stable());
    assertEquals("pruning does not help this model: the best pruning detector, opnp(p=90), averages 80.00 % AUROC "
        + "on the one validation proxy against 90.00 % for plain energy", s.verdict().reason());
  }

  @Test
  void exactTiesGoToTheEarlierCandidateAfterMeanAurocAndFpr95() {
    Candidate energy = c("energy", "", 0.90, 0.80);
    Candidate opnp = c("opnp", "p=90", 0.90, 0.80);
    assertSame(energy, select(List.of("a", "b"), Criterion.MEAN, energy, opnp).chosen());
    assertSame(opnp, select(List.of("a", "b"), Criterion.MEAN, opnp, energy).chosen());
    assertFalse(select(List.of("a", "b"), Criterion.MEAN, energy, opnp).verdict().helps(), "a tie does not help");

    Candidate flat = c("energy", "", 0.57, 0.57);
    Candidate spread = c("opnp", "p=80", 0.58, 0.56);  // mean 0.5700000000000001 in floating point
    assertSame(flat, select(List.of("a", "b"), Criterion.MEAN, flat, spread).chosen(), "rounding noise is no win");
    assertSame(spread, select(List.of("a", "b"), Criterion.MEAN, spread, flat).chosen());
    assertFalse(select(List.of("a", "b"), Criterion.MEAN, flat, spread).verdict().helps());

    Candidate higherMean = c("react", "", 0.95, 0.80);  // same worst case, higher mean
    assertSame(higherMean, select(List.of("a", "b"), Criterion.WORST, energy, higherMean).chosen());

    Candidate fewerFalseAlarms = new Candidate("react", "", new double[] {0.90, 0.80}, new double[] {0.1, 0.1});
    assertSame(fewerFalseAlarms, select(List.of("a", "b"), Criterion.MEAN, energy, fewerFalseAlarms).chosen());
  }

  @Test
  void verdictSaysSoWhenThereIsNothingToCompare() {
    PruningVerdict none = select(THREE, Criterion.MEAN, c("energy", "", 0.9, 0.9, 0.9)).verdict();
    assertFalse(none.helps());
    assertNull(none.bestPruning());
    assertTrue(Double.isNaN(none.bestPruningCriterion()));
    assertEquals("whether pruning helps this model is unknown: no pruning detector was evaluated", none.reason());

    PruningVerdict noBaseline = select(THREE, Criterion.MEAN, c("opnp", "p=90", 0.9, 0.9, 0.9)).verdict();
    assertFalse(noBaseline.helps());
    assertNull(noBaseline.baseline());
    assertEquals("whether pruning helps this model is unknown: the best pruning detector, opnp(p=90), averages "
        + "90.00 % AUROC over the 3 validation proxies, but plain energy, the baseline, was not evaluated",
        noBaseline.reason());
  }

  @Test
  void markdownTableShowsTheTopTwentyPlusTheBaselineAndBestPruning() {
    List<Candidate> candidates = new ArrayList<>();
    candidates.add(c("energy", "", 0.50, 0.50));
    candidates.add(c("opnp", "p=5", 0.51, 0.49));
    for (int i = 0; i < 25; i++) {
      candidates.add(c("react", "p=" + i, 0.90 - i / 100.0, 0.90));
    }
    Selection s = Selection.select(List.of("textures", "places"), candidates, Criterion.MEAN, "energy", PRUNING);
    String[] lines = s.markdownTable().split("\n");
    assertEquals("| rank | detector | mean AUROC (%) | textures AUROC (%) | places AUROC (%) |", lines[0]);
    assertEquals("|---:|---|---:|---:|---:|", lines[1]);
    assertEquals("| 1 | react(p=0) | 90.00 | 90.00 | 90.00 |", lines[2]);
    assertEquals(2 + 20 + 2, lines.length);
    assertEquals("| 26 | energy | 50.00 | 50.00 | 50.00 |", lines[22], "tied with opnp(p=5), listed first");
    assertEquals("| 27 | opnp(p=5) | 50.00 | 51.00 | 49.00 |", lines[23]);
    assertTrue(select(List.of("a|b"), Criterion.WORST, c("energy", "", 0.5)).markdownTable()
        .startsWith("| rank | detector | worst-case AUROC (%) | a\\|b AUROC (%) |"));
  }

  @Test
  void candidateCopiesItsArraysAndLabelsItself() {
    double[] aurocs = {0.9, 0.8};
    Candidate c = new Candidate("opnp", "p=90", aurocs, new double[] {0.3, 0.4});
    aurocs[0] = 0;
    c.aurocs()[1] = 0;
    assertArrayEquals(new double[] {0.9, 0.8}, c.aurocs());
    assertArrayEquals(new double[] {0.3, 0.4}, c.fpr95s());
    assertEquals("opnp(p=90)", c.label());
    assertEquals("energy", new Candidate("energy", "", new double[] {1}, new double[] {0}).label());
    assertEquals("energy", new Candidate("energy", null, new double[] {1}, new double[] {0}).label());
    assertEquals(c, new Candidate("opnp", "p=90", new double[] {0.9, 0.8}, new double[] {0.3, 0.4}));
  }

  @Test
  void criterionParsesIgnoringCaseAndListsTheChoices() {
    assertEquals(Criterion.WORST, Criterion.parse(" Worst "));
    assertEquals(Criterion.MEAN, Criterion.parse("MEAN"));
    assertEquals("unknown selection criterion 'median'; choose one of: mean, worst", message(() -> Criterion.parse("median")));
    assertEquals("unknown selection criterion 'null'; choose one of: mean, worst", message(() -> Criterion.parse(null)));
    assertEquals(0.5, Criterion.MEAN.of(new double[] {0.25, 0.75}));
    assertEquals(0.25, Criterion.WORST.of(new double[] {0.25, 0.75}));
  }

  @Test
  void rejectsBadArgumentsWithExactMessages() {
    Candidate two = c("energy", "", 0.9, 0.8);
    List<Candidate> one = List.of(two);
    assertEquals("no validation proxies given",
        message(() -> Selection.select(List.of(), one, Criterion.MEAN, "energy", PRUNING)));
    assertEquals("proxy names must be distinct, got [a, b, a]",
        message(() -> Selection.select(List.of("a", "b", "a"), one, Criterion.MEAN, "energy", PRUNING)));
    assertEquals("no candidates to select from",
        message(() -> Selection.select(List.of("a", "b"), List.of(), Criterion.MEAN, "energy", PRUNING)));
    assertEquals("candidate energy has results on 2 proxies but 3 proxies are given [textures, places, inat]",
        message(() -> Selection.select(THREE, one, Criterion.MEAN, "energy", PRUNING)));
    assertEquals("AUROC of candidate opnp on proxy 1 must be in [0, 1], got 1.2", message(() -> c("opnp", "", 0.9, 1.2)));
    assertEquals("FPR95 of candidate opnp on proxy 0 must be in [0, 1], got NaN",
        message(() -> new Candidate("opnp", "", new double[] {0.9}, new double[] {Double.NaN})));
    assertEquals("candidate opnp has 2 AUROCs but 1 FPR95s",
        message(() -> new Candidate("opnp", "", new double[] {0.9, 0.8}, new double[] {0.1})));
    assertEquals("a candidate needs a method name, got ' '",
        message(() -> new Candidate(" ", "", new double[] {0.9}, new double[] {0.1})));
    assertThrows(NullPointerException.class, () -> Selection.select(List.of("a", "b"), one, null, "energy", PRUNING));
  }

  @Test
  void aRecommendedFusionJoinsTheRankingAtItsOwnRankWhileTheAuditAndVerdictStayTheLeaders() {
    Candidate energy = c("energy", "", 0.80, 0.80, 0.80);
    Candidate vim = c("vim", "", 0.99, 0.98, 0.70);
    Candidate opnp = c("opnp", "p=90", 0.85, 0.84, 0.86);
    Selection ranked = select(THREE, Criterion.MEAN, energy, vim, opnp);
    Candidate fusion = c("fusion", "vim + opnp(p=90)", 0.90, 0.88, 0.85);
    Selection s = ranked.recommending(fusion);
    assertSame(fusion, s.chosen());
    assertEquals(ChoiceRule.FUSION, s.rule());
    assertEquals(ChoiceRule.BEST, ranked.rule());
    assertEquals(List.of(vim, fusion, opnp, energy), s.ranking());
    assertSame(vim, s.leader());
    assertSame(vim, ranked.leader());
    assertEquals(ranked.audit(), s.audit());
    assertEquals(ranked.verdict(), s.verdict());
    assertEquals("this selection already recommends a fusion: fusion(vim + opnp(p=90))",
        message(() -> s.recommending(fusion)));
    assertEquals("the fusion needs results on the 3 proxies [textures, places, inat]",
        message(() -> ranked.recommending(c("fusion", "x", 0.9))));
  }

  @Test
  void fusionMembersAreTheFirstOfEachNewFamilyDownTheRanking() {
    Candidate vim = c("vim", "", 0.99);
    Candidate knn = c("knn", "k=50", 0.98);
    Candidate fdbd = c("fdbd", "", 0.97);
    Candidate nci = c("nci", "", 0.96);
    Candidate react = c("react", "p=90", 0.95);
    Candidate gen = c("gen", "", 0.94);
    java.util.Map<String, String> family = java.util.Map.of("vim", "distance", "knn", "distance", "fdbd", "boundary",
        "nci", "boundary", "react", "shaping", "gen", "output");
    List<Candidate> ranking = List.of(vim, knn, fdbd, nci, react, gen);
    assertEquals(List.of(vim, fdbd, react), FusionMembers.leaders(ranking, family::get, 3));
    assertEquals(List.of(vim, fdbd), FusionMembers.leaders(ranking, family::get, 2));
    assertEquals(List.of(vim, fdbd, react, gen), FusionMembers.leaders(ranking, family::get, 9));
    assertEquals("a fusion takes members from at least one family, got 0",
        message(() -> FusionMembers.leaders(ranking, family::get, 0)));
  }

  @Test
  void rankingAgainOnSomeProxiesReadsOnlyTheirAurocs() {
    List<String> sets = List.of("rotate", "blur", "real");
    Candidate vim = c("vim", "", 0.82, 0.99, 0.976);
    Candidate knn = c("knn", "k=10", 0.81, 0.99, 0.988);
    Candidate energy = c("energy", "", 0.76, 0.98, 0.984);
    Selection s = Selection.select(sets, new double[] {1, 1, 2}, List.of(energy, knn, vim), Criterion.MEAN, "energy",
        PRUNING);
    assertEquals(List.of(vim, knn, energy), s.rankingOn(Criterion.WORST, new int[] {0, 1, 2}));
    assertEquals(List.of(knn, energy, vim), s.rankingOn(Criterion.WORST, new int[] {2}));
    assertEquals("proxy index 3 is not one of the 3 proxies [rotate, blur, real]",
        message(() -> s.rankingOn(Criterion.WORST, new int[] {3})));
    assertEquals("rank on at least one proxy", message(() -> s.rankingOn(Criterion.WORST, new int[0])));
  }

  @Test
  void aFusionMemberFallsBackToItsMethodsDefaultsOnlyWhereTheDataCannotTellThemApart() {
    Candidate gen001 = c("gen", "γ=0.01", 0.96);
    Candidate genDefault = c("gen", "γ=0.1", 0.95);
    Candidate nci = c("nci", "α=1e-4", 0.97);  // at its defaults already
    Candidate react85 = c("react", "p=85", 0.94);
    Candidate react90 = c("react", "p=90", 0.80);
    java.util.Map<Candidate, Candidate> defaults = java.util.Map.of(gen001, genDefault, genDefault, genDefault,
        nci, nci, react85, react90);
    // "Told apart" here: more than 5 points between the two; the real test is the paired bootstrap.
    java.util.function.BiPredicate<Candidate, Candidate> apart = (a, b) -> Math.abs(a.auroc(0) - b.auroc(0)) > 0.05;
    List<FusionMembers.Choice> out = FusionMembers.defaultsUnlessToldApart(List.of(nci, gen001, react85),
        l -> java.util.Optional.ofNullable(defaults.get(l)), apart);
    assertEquals(List.of(new FusionMembers.Choice(nci, nci), new FusionMembers.Choice(gen001, genDefault),
        new FusionMembers.Choice(react85, react85)), out);
    assertEquals(List.of(false, true, false), out.stream().map(FusionMembers.Choice::atDefaults).toList());
    // No default configuration among the candidates (e.g. left out of the grid): the leader stays.
    assertEquals(List.of(new FusionMembers.Choice(gen001, gen001)),
        FusionMembers.defaultsUnlessToldApart(List.of(gen001), l -> java.util.Optional.empty(), apart));
  }

  @Test
  void choiceRulesParseByNameAndRefuseOthersNamingTheKnownOnes() {
    assertEquals(ChoiceRule.FUSION, ChoiceRule.parse(" Fusion "));
    assertEquals(ChoiceRule.BEST, ChoiceRule.parse("best"));
    assertEquals("unknown choice rule 'vote'; choose one of: fusion, best", message(() -> ChoiceRule.parse("vote")));
  }

  @Test
  void aRealOodSetWeightedAsAllProxiesTogetherOverturnsARankingTheProxiesAloneWouldMake() {
    List<String> four = List.of("real", "shuffle", "blur", "rotate");
    Candidate proxyFavourite = c("vim", "", 0.70, 0.99, 0.99, 0.99);  // mean 91.75 unweighted, 84.5 weighted
    Candidate realFavourite = c("nci", "", 0.95, 0.85, 0.85, 0.85);   // mean 87.5 unweighted, 90.0 weighted
    Selection plain = Selection.select(four, List.of(proxyFavourite, realFavourite), Criterion.MEAN, "energy", PRUNING);
    assertSame(proxyFavourite, plain.chosen());
    double[] weights = {3, 1, 1, 1};
    Selection weighted = Selection.select(four, weights, List.of(proxyFavourite, realFavourite), Criterion.MEAN,
        "energy", PRUNING);
    assertSame(realFavourite, weighted.chosen());
    assertEquals((3 * 0.95 + 3 * 0.85) / 6, weighted.criterionOf(realFavourite), 1e-15);
    assertEquals(List.of(3.0, 1.0, 1.0, 1.0), weighted.weights());
    // Equal weights are the plain mean to the bit; the worst case ignores weights.
    double[] a = {0.91, 0.83, 0.77};
    assertEquals(Criterion.MEAN.of(a), Criterion.MEAN.of(a, new double[] {2, 2, 2}), 0.0);
    assertEquals(0.77, Criterion.WORST.of(a, new double[] {9, 1, 1}), 0.0);
    assertEquals("proxy weight 1 must be positive, got 0.0",
        message(() -> Criterion.MEAN.of(a, new double[] {1, 0, 1})));
    assertEquals("3 proxy weights for the proxies [textures, places]",
        message(() -> Selection.select(List.of("textures", "places"), new double[] {1, 1, 1},
            List.of(c("energy", "", 0.9, 0.9)), Criterion.MEAN, "energy", PRUNING)));
  }
}
