package io.opnp.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PlanEnergiesTest {
  @Test
  void energiesEqualThePrunedHeadsProductForEveryPlanSetAndRowIncludingPartialBlocks() {
    Random r = new Random(11);
    int c = 13;
    int d = 70;
    double[] sw = new double[c * d];
    double[] w = new double[c * d];
    for (int i = 0; i < sw.length; i++) {
      sw[i] = r.nextInt(40) * 0.5;  // ties, broken by index as PruningPlan does
      w[i] = i % 17 == 0 ? 0 : r.nextGaussian();  // some exact zeros, skipped by the engine
    }
    double[] sn = new double[d];
    for (int j = 0; j < d; j++) {
      sn[j] = r.nextDouble();
    }
    double[] b = new double[c];
    for (int i = 0; i < c; i++) {
      b[i] = r.nextGaussian();
    }
    Sensitivity s = new Sensitivity(c, d, 5, 1.7, sw, sn, "m", null);
    LinearHead head = new LinearHead(c, d, w, b);
    List<PruningPercentages> plans = List.of(PruningPercentages.NONE, new PruningPercentages(5, 10, 0, 0),
        new PruningPercentages(0.5, 0, 30, 10), new PruningPercentages(20, 50, 50, 30),
        new PruningPercentages(1, 30, 5, 0));
    int[] counts = {PlanEnergies.ROWS + 7, 3, 1};  // a full block plus a partial one, and small sets
    List<double[]> sets = new java.util.ArrayList<>();
    for (int n : counts) {
      double[] h = new double[n * d];
      for (int i = 0; i < h.length; i++) {
        h[i] = Math.max(0, r.nextGaussian() * 2);
      }
      sets.add(h);
    }
    double t = 1.7;
    double[][][] got = new PlanEnergies(SensitivityOrder.of(s), head, plans).energies(plans, sets, counts, t, 2);
    for (int p = 0; p < plans.size(); p++) {
      LinearHead pruned = head.pruned(PruningPlan.of(s, plans.get(p)));
      for (int set = 0; set < sets.size(); set++) {
        double[] logits = new double[counts[set] * c];
        pruned.logits(sets.get(set), counts[set], logits);
        for (int k = 0; k < counts[set]; k++) {
          double want = Energy.score(logits, k * c, c, t);
          assertEquals(want, got[p][set][k], 1e-12 * Math.max(1, Math.abs(want)),
              plans.get(p) + " set " + set + " row " + k);
        }
      }
    }
  }

  @Test
  void aPlanOutsideTheBinsItWasBuiltForIsRefused() {
    Sensitivity s = new Sensitivity(2, 4, 1, 1, new double[] {1, 2, 3, 4, 5, 6, 7, 8}, new double[] {1, 2, 3, 4}, "m",
        null);
    LinearHead head = new LinearHead(2, 4, new double[8], new double[2]);
    PlanEnergies e = new PlanEnergies(SensitivityOrder.of(s), head, List.of(PruningPercentages.NONE));
    assertThrows(IllegalArgumentException.class, () -> e.energies(List.of(new PruningPercentages(50, 0, 0, 0)),
        List.of(new double[4]), new int[] {1}, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new PlanEnergies(SensitivityOrder.of(s), head,
        List.of(new PruningPercentages(60, 40, 0, 0))));
  }

  @Test
  void vectorExpSumsAgreeWithMathExpToAFewUlps() {
    assertTrue(ExpSums.VECTORIZED, "the tests run with --add-modules jdk.incubator.vector");
    Random r = new Random(2);
    int n = 4099;  // not a multiple of the lanes: the scalar tail too
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = -r.nextDouble() * (i % 5 == 0 ? 800 : 40);
    }
    x[0] = 0;
    x[1] = -745.5;
    double[] max = new double[n];
    double[] vec = new double[n];
    double[] ref = new double[n];
    ExpSums.add(x, 0, max, vec, n);
    ExpSums.addScalar(x, 0, max, ref, 0, n);
    for (int i = 0; i < n; i++) {
      if (x[i] >= -708) {
        assertEquals(ref[i], vec[i], 4 * Math.ulp(ref[i]), "exp(" + x[i] + ")");
      } else {
        assertTrue(vec[i] < 1e-307, "exp(" + x[i] + ") = " + vec[i]);  // negligible beside a sum's largest term, 1
      }
    }
  }
}
