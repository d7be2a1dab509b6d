package io.opnp.plots;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.opnp.math.OodMetrics;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RocCurveTest {
  private static final double EPS = 1e-12;

  @Test
  void handComputedSmallCase() {
    // Descending: 3(ID) 2.5(OOD) 2(ID) 1(ID) 0.5(OOD)
    RocCurve roc = RocCurve.of(new double[] {2, 3, 1}, new double[] {0.5, 2.5});
    assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, 3, 2.5, 2, 1, 0.5}, roc.thresholds());
    assertArrayEquals(new double[] {0, 0, 0.5, 0.5, 0.5, 1}, roc.fpr(), EPS);
    assertArrayEquals(new double[] {0, 1.0 / 3, 1.0 / 3, 2.0 / 3, 1, 1}, roc.tpr(), EPS);
    assertEquals(6, roc.size());
    assertEquals(4.0 / 6, roc.auroc(), EPS);
  }

  @Test
  void tiesFormOnePoint() {
    RocCurve roc = RocCurve.of(new double[] {1, 1, 2}, new double[] {1, 0});
    // t=2: (0, 1/3); t=1: ID 3/3, OOD 1/2 together; t=0: (1, 1)
    assertArrayEquals(new double[] {0, 0, 0.5, 1}, roc.fpr(), EPS);
    assertArrayEquals(new double[] {0, 1.0 / 3, 1, 1}, roc.tpr(), EPS);
  }

  @Test
  void areaMatchesOodMetrics() {
    Random rnd = new Random(11);
    double[] id = new double[700];
    double[] ood = new double[400];
    for (int i = 0; i < id.length; i++) {
      id[i] = Math.round(rnd.nextGaussian() * 20 + 15) / 10.0;  // rounded: plenty of ties
    }
    for (int i = 0; i < ood.length; i++) {
      ood[i] = Math.round(rnd.nextGaussian() * 20) / 10.0;
    }
    RocCurve roc = RocCurve.of(id, ood);
    assertEquals(OodMetrics.of(id, ood).auroc(), roc.auroc(), 1e-12);
    assertEquals(1, roc.fpr(roc.size() - 1), EPS);
    assertEquals(1, roc.tpr(roc.size() - 1), EPS);
  }

  @Test
  void accessorsReturnCopies() {
    RocCurve roc = RocCurve.of(new double[] {1}, new double[] {0});
    roc.fpr()[1] = 42;
    roc.tpr()[1] = 42;
    assertEquals(RocCurve.of(new double[] {1}, new double[] {0}), roc);
    assertEquals(1, roc.auroc(), EPS);
  }

  @Test
  void badInputIsRejectedWithTheOffendingValue() {
    assertMessage("no in-distribution scores: the ID set is empty", () -> RocCurve.of(new double[0], new double[] {1}));
    assertMessage("no OOD scores: the OOD set is empty", () -> RocCurve.of(new double[] {1}, new double[0]));
    assertMessage("ID score NaN at position 1 is not finite",
        () -> RocCurve.of(new double[] {1, Double.NaN}, new double[] {1}));
    assertMessage("OOD score Infinity at position 0 is not finite",
        () -> RocCurve.of(new double[] {1}, new double[] {Double.POSITIVE_INFINITY}));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }
}
