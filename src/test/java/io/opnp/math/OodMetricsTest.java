package io.opnp.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class OodMetricsTest {
  private static final double EPS = 1e-12;

  @Test
  void handComputedSmallCase() {
    // Descending: 3(ID) 2.5(OOD) 2(ID) 1(ID) 0.5(OOD); worked out by hand in the comments.
    OodMetrics m = OodMetrics.of(new double[] {3, 2, 1}, new double[] {2.5, 0.5});
    assertEquals(0.5, m.fpr95(), EPS);          // all 3 ID kept only at t=1, where 1 of 2 OOD pass
    assertEquals(4.0 / 6, m.auroc(), EPS);      // ID>OOD pairs: 3>2.5, 3>0.5, 2>0.5, 1>0.5
    assertEquals(55.0 / 72, m.auprIn(), EPS);   // (0,1)(1/3,1)(1/3,1/2)(2/3,2/3)(1,3/4), trapezoids
    assertEquals(17.0 / 24, m.auprOut(), EPS);  // OOD positive: (0,1)(1/2,1)(1/2,1/2)(1/2,1/3)(1,1/2)
  }

  @Test
  void perfectSeparation() {
    OodMetrics m = OodMetrics.of(new double[] {5, 6, 7, 8}, new double[] {1, 2, 3});
    assertEquals(0, m.fpr95(), EPS);
    assertEquals(1, m.auroc(), EPS);
    assertEquals(1, m.auprIn(), EPS);
    assertEquals(1, m.auprOut(), EPS);
  }

  @Test
  void reversedSeparation() {
    OodMetrics m = OodMetrics.of(new double[] {1, 2}, new double[] {5, 6});
    assertEquals(1, m.fpr95(), EPS);
    assertEquals(0, m.auroc(), EPS);
    // ID positive, (recall, precision) from (0,1): t=6 (0,0), t=5 (0,0), t=2 (1/2,1/3), t=1 (1,1/2)
    assertEquals(0.5 * (1.0 / 3) / 2 + 0.5 * (1.0 / 3 + 0.5) / 2, m.auprIn(), EPS);
  }

  @Test
  void tiesCountAsHalfAndFormOnePoint() {
    OodMetrics all = OodMetrics.of(new double[] {1, 1, 1}, new double[] {1, 1});
    assertEquals(1, all.fpr95(), EPS);
    assertEquals(0.5, all.auroc(), EPS);
    assertEquals(0.8, all.auprIn(), EPS);   // one point (recall 1, precision 3/5) joined to (0,1)
    assertEquals(0.7, all.auprOut(), EPS);  // one point (recall 1, precision 2/5) joined to (0,1)
  }

  @Test
  void fprIsTakenAtTheLargestThresholdKeepingNinetyFivePercentOfId() {
    double[] id = new double[20];
    for (int i = 0; i < 20; i++) {
      id[i] = i + 1;  // 1..20; keeping 19/20 = 95 % needs t = 2
    }
    double[] ood = {0.5, 1.5, 2, 2.5, 30};
    // OOD at or above t=2: 2, 2.5, 30
    assertEquals(3.0 / 5, OodMetrics.of(id, ood).fpr95(), EPS);
  }

  @Test
  void aurocEqualsPairwiseCountOnRandomScoresWithTies() {
    Random r = new Random(11);
    for (int trial = 0; trial < 20; trial++) {
      double[] id = new double[1 + r.nextInt(60)];
      double[] ood = new double[1 + r.nextInt(60)];
      for (int i = 0; i < id.length; i++) {
        id[i] = r.nextInt(15) + 2;  // integers: many ties
      }
      for (int i = 0; i < ood.length; i++) {
        ood[i] = r.nextInt(15);
      }
      double pairs = 0;
      for (double a : id) {
        for (double b : ood) {
          pairs += a > b ? 1 : a == b ? 0.5 : 0;
        }
      }
      assertEquals(pairs / (id.length * (double) ood.length), OodMetrics.of(id, ood).auroc(), 1e-12);
      // FPR95 by its definition: the largest t with #ID>=t >= 0.95 n_id, then #OOD>=t / n_ood.
      double best = Double.NEGATIVE_INFINITY;
      for (double t : id) {
        long kept = java.util.Arrays.stream(id).filter(v -> v >= t).count();
        if ((double) kept / id.length >= 0.95 && t > best) {
          best = t;
        }
      }
      double threshold = best;
      double fpr = (double) java.util.Arrays.stream(ood).filter(v -> v >= threshold).count() / ood.length;
      assertEquals(fpr, OodMetrics.of(id, ood).fpr95(), 1e-12);
      // OpenOOD's, by its definition: OOD flagged when S <= u; the smallest u catching >= 95 % of OOD,
      // then the share of ID with S <= u.
      double u = Double.POSITIVE_INFINITY;
      for (double t : ood) {
        long caught = java.util.Arrays.stream(ood).filter(v -> v <= t).count();
        if ((double) caught / ood.length >= 0.95 && t < u) {
          u = t;
        }
      }
      double cut = u;
      double flagged = (double) java.util.Arrays.stream(id).filter(v -> v <= cut).count() / id.length;
      assertEquals(flagged, OodMetrics.of(id, ood).fpr95OpenOod(), 1e-12);
    }
  }

  @Test
  void theTwoFpr95DefinitionsDifferAsHandComputed() {
    // ID 1..20, OOD 0.5 and 15.5..33.5 (20 values): keeping 95 % of ID (19) needs t = 2, where 19 of 20 OOD
    // pass (0.95); catching 95 % of OOD (19, all but the largest) needs S <= 32.5, which flags all 20 ID (1.0).
    double[] id = new double[20];
    double[] ood = new double[20];
    for (int i = 0; i < 20; i++) {
      id[i] = i + 1;
      ood[i] = i == 0 ? 0.5 : 14.5 + i;
    }
    OodMetrics m = OodMetrics.of(id, ood);
    assertEquals(19.0 / 20, m.fpr95(), EPS);
    assertEquals(1.0, m.fpr95OpenOod(), EPS);
    // Perfect separation: both zero.
    OodMetrics perfect = OodMetrics.of(new double[] {5, 6, 7}, new double[] {1, 2, 3});
    assertEquals(0, perfect.fpr95(), EPS);
    assertEquals(0, perfect.fpr95OpenOod(), EPS);
  }

  @Test
  void rejectsEmptyOrNonFiniteScores() {
    assertEquals("no OOD scores: the OOD set is empty",
        assertThrows(IllegalArgumentException.class, () -> OodMetrics.of(new double[] {1}, new double[0])).getMessage());
    assertEquals("ID score NaN at position 1 is not finite",
        assertThrows(IllegalArgumentException.class,
            () -> OodMetrics.of(new double[] {1, Double.NaN}, new double[] {1})).getMessage());
  }
}
