package io.opnp.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.math.OodMetrics;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChoiceUncertaintyTest {
  private static double[] gaussian(int n, double mean, Random r) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = mean + r.nextGaussian();
    }
    return x;
  }

  @Test
  void unitWeightsGiveTheAurocOfTheMetrics() {
    Random r = new Random(3);
    double[] id = gaussian(300, 1, r);
    double[] ood = gaussian(200, 0, r);
    for (int i = 0; i < 40; i++) {
      ood[i] = id[i];  // ties across the sides count one half
    }
    double[] ones = new double[500];
    Arrays.fill(ones, 1);
    assertEquals(OodMetrics.of(id, ood).auroc(), ChoiceUncertainty.auroc(id, ood, ones, ones), 1e-12);
  }

  @Test
  void integerWeightsEqualRepeatingTheRows() {
    Random r = new Random(4);
    double[] id = gaussian(50, 0.5, r);
    double[] ood = gaussian(40, 0, r);
    double[] wId = new double[50];
    double[] wOod = new double[40];
    java.util.List<Double> idRep = new java.util.ArrayList<>();
    java.util.List<Double> oodRep = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      wId[i] = r.nextInt(3);
      for (int k = 0; k < wId[i]; k++) {
        idRep.add(id[i]);
      }
    }
    for (int i = 0; i < 40; i++) {
      wOod[i] = r.nextInt(3);
      for (int k = 0; k < wOod[i]; k++) {
        oodRep.add(ood[i]);
      }
    }
    double expected = OodMetrics.of(idRep.stream().mapToDouble(Double::doubleValue).toArray(),
        oodRep.stream().mapToDouble(Double::doubleValue).toArray()).auroc();
    assertEquals(expected, ChoiceUncertainty.auroc(id, ood, wId, wOod), 1e-12);
  }

  @Test
  void aClearlyBetterCandidateIsNotTiedAndANearTwinIs() {
    Random r = new Random(5);
    int n = 400;
    double[] idBase = gaussian(n, 0, r);
    double[][] oodBase = {gaussian(n, 0, r), gaussian(n, 0, r)};
    // Candidate 0: separation 2; candidate 1: the same plus tiny noise (a twin); candidate 2: separation 0.5.
    double[][] id = new double[3][n];
    double[][][] ood = new double[3][2][n];
    double[] shift = {2, 2, 0.5};
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < n; i++) {
        id[c][i] = idBase[i] + shift[c] + (c == 1 ? 1e-3 * r.nextGaussian() : 0);
        for (int p = 0; p < 2; p++) {
          ood[c][p][i] = oodBase[p][i];
        }
      }
    }
    ChoiceUncertainty.Result res = ChoiceUncertainty.of(id, ood, Criterion.MEAN, 0, 300, 11);
    assertTrue(res.tied()[0]);
    assertTrue(res.tied()[1], "a near twin cannot be told apart: " + Arrays.toString(res.upper()));
    assertFalse(res.tied()[2], "a far weaker candidate is: " + Arrays.toString(res.upper()));
    assertEquals(0.0, res.winShare()[2]);
    assertEquals(1.0, res.winShare()[0] + res.winShare()[1], 1e-12);
    assertEquals(2, res.tiedCount());
  }
}
