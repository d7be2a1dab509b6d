package io.opnp.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.calibration.ReliabilityDiagram.Bin;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CalibrationTest {
  private static final double EPS = 1e-12;

  @Test
  void allConfidentAndCorrectIsPerfectlyCalibrated() {
    ReliabilityDiagram d = Calibration.reliability(new double[] {1, 1, 1, 1}, new boolean[] {true, true, true, true});
    assertEquals(0, d.ece(), EPS);
    assertEquals(15, d.binCount());
    assertEquals(4, d.total());
    assertEquals(4, d.bin(14).count());
    assertEquals(1, d.bin(14).accuracy(), EPS);
    assertEquals(1, d.bin(14).meanConfidence(), EPS);
  }

  @Test
  void twoBinCaseComputedByHand() {
    // 0.9 → bin 13 = (13/15, 14/15]: 3 samples, 2 right: |2/3 − 0.9| · 3/4 = 0.175
    // 0.3 → bin 4 = (4/15, 5/15]:    1 sample, wrong:    |0 − 0.3| · 1/4 = 0.075
    double[] conf = {0.9, 0.3, 0.9, 0.9};
    boolean[] correct = {true, false, false, true};
    ReliabilityDiagram d = Calibration.reliability(conf, correct);
    assertEquals(0.25, d.ece(), EPS);
    assertEquals(3, d.bin(13).count());
    assertEquals(2.0 / 3, d.bin(13).accuracy(), EPS);
    assertEquals(0.9, d.bin(13).meanConfidence(), EPS);
    assertEquals(2.0 / 3 - 0.9, d.bin(13).gap(), EPS);
    assertEquals(1, d.bin(4).count());
    assertEquals(0, d.bin(4).accuracy(), EPS);
    assertEquals(13.0 / 15, d.bin(13).lower(), EPS);
    assertEquals(14.0 / 15, d.bin(13).upper(), EPS);
    for (int b = 0; b < 15; b++) {
      if (b != 4 && b != 13) {
        assertTrue(d.bin(b).isEmpty(), "bin " + b);
        assertTrue(Double.isNaN(d.bin(b).accuracy()) && Double.isNaN(d.bin(b).meanConfidence()), "bin " + b);
      }
    }
    assertEquals(0.25, Calibration.ece(conf, correct), EPS);
    assertEquals(0.25, Calibration.ece(conf, new int[] {1, 2, 3, 4}, new int[] {1, 0, 0, 4}), EPS);
  }

  @Test
  void boundaryConfidencesGoInTheLowerBin() {
    // bins are (k/15, (k+1)/15]; exactly 0 joins the first
    assertEquals(0, Calibration.binOf(0, 15));
    assertEquals(0, Calibration.binOf(1.0 / 15, 15));
    assertEquals(1, Calibration.binOf(Math.nextUp(1.0 / 15), 15));
    assertEquals(14, Calibration.binOf(1, 15));
    assertEquals(14, Calibration.binOf(Math.nextDown(1.0), 15));
    for (int k = 1; k <= 15; k++) {
      double edge = (double) k / 15;
      assertEquals(k - 1, Calibration.binOf(edge, 15), "k/15 for k=" + k);
      if (k < 15) {
        assertEquals(k, Calibration.binOf(Math.nextUp(edge), 15), "just above k/15 for k=" + k);
      }
    }
    ReliabilityDiagram d = Calibration.reliability(new double[] {0, 1.0 / 15, 1, 2.0 / 15},
        new boolean[] {false, true, true, false});
    assertEquals(2, d.bin(0).count());
    assertEquals(1.0 / 30, d.bin(0).meanConfidence(), EPS);
    assertEquals(0.5, d.bin(0).accuracy(), EPS);
    assertEquals(1, d.bin(1).count());
    assertEquals(1, d.bin(14).count());
    // bin 0: |1 − 1/15|/4, bin 1: |0 − 2/15|/4, bin 14: |1 − 1|/4
    assertEquals((14.0 / 15 + 2.0 / 15) / 4, d.ece(), EPS);
  }

  @Test
  void matchesAReferenceLoopOverBins() {
    // Guo et al.'s reference: for each bin, in_bin = conf > lower && conf <= upper (0 added to the first)
    Random rnd = new Random(7);
    int n = 5000;
    double[] conf = new double[n];
    boolean[] correct = new boolean[n];
    for (int i = 0; i < n; i++) {
      conf[i] = i % 50 == 0 ? (double) rnd.nextInt(16) / 15 : rnd.nextDouble();
      correct[i] = rnd.nextDouble() < conf[i] * 0.9;
    }
    double expected = 0;
    for (int b = 0; b < 15; b++) {
      double lower = (double) b / 15;
      double upper = (double) (b + 1) / 15;
      int count = 0;
      int hits = 0;
      double sum = 0;
      for (int i = 0; i < n; i++) {
        if ((conf[i] > lower || (b == 0 && conf[i] == 0)) && conf[i] <= upper) {
          count++;
          sum += conf[i];
          hits += correct[i] ? 1 : 0;
        }
      }
      if (count > 0) {
        expected += (double) count / n * Math.abs((double) hits / count - sum / count);
      }
    }
    ReliabilityDiagram d = Calibration.reliability(conf, correct);
    assertEquals(expected, d.ece(), 1e-12);
    long total = d.bins().stream().mapToLong(Bin::count).sum();
    assertEquals(n, total);
  }

  @Test
  void predictionsAndLabelsAgreeWithBooleans() {
    double[] conf = {0.55, 0.95, 0.72, 0.2};
    int[] pred = {3, 1, 2, 0};
    int[] label = {3, 1, 0, 0};
    assertEquals(Calibration.reliability(conf, new boolean[] {true, true, false, true}),
        Calibration.reliability(conf, pred, label));
  }

  @Test
  void fromProbabilitiesTakesTheMaximumAndItsFirstClass() {
    double[][] probs = {{0.1, 0.7, 0.2}, {0.5, 0.5, 0.0}, {0.2, 0.2, 0.6}};
    int[] labels = {1, 1, 0};
    // confidences 0.7 (right), 0.5 (predicts class 0: wrong), 0.6 (wrong)
    assertEquals(Calibration.reliability(new double[] {0.7, 0.5, 0.6}, new boolean[] {true, false, false}),
        Calibration.fromProbabilities(probs, labels));
  }

  @Test
  void customBinCount() {
    ReliabilityDiagram d = Calibration.reliability(new double[] {0.25, 0.75}, new boolean[] {true, true}, 2);
    assertEquals(2, d.binCount());
    assertEquals((0.75 + 0.25) / 2, d.ece(), EPS);
  }

  @Test
  void resultsAreImmutable() {
    ReliabilityDiagram d = Calibration.reliability(new double[] {0.5}, new boolean[] {true});
    assertThrows(UnsupportedOperationException.class, () -> d.bins().clear());
  }

  @Test
  void badInputIsRejectedWithTheOffendingValue() {
    assertMessage("no confidences: there are no samples",
        () -> Calibration.reliability(new double[0], new boolean[0]));
    assertMessage("confidence NaN at position 1 is not in [0, 1]",
        () -> Calibration.reliability(new double[] {0.5, Double.NaN}, new boolean[] {true, true}));
    assertMessage("confidence 1.5 at position 0 is not in [0, 1]",
        () -> Calibration.reliability(new double[] {1.5}, new boolean[] {true}));
    assertMessage("confidence -0.1 at position 0 is not in [0, 1]",
        () -> Calibration.reliability(new double[] {-0.1}, new boolean[] {true}));
    assertMessage("correct must have 3 values (one per confidence), got 2",
        () -> Calibration.reliability(new double[] {0.1, 0.2, 0.3}, new boolean[] {true, false}));
    assertMessage("bins must be positive, got 0",
        () -> Calibration.reliability(new double[] {0.1}, new boolean[] {true}, 0));
    assertMessage("predictions must have 2 values (one per confidence), got 1",
        () -> Calibration.reliability(new double[] {0.1, 0.2}, new int[] {1}, new int[] {1, 2}));
    assertMessage("labels must have 2 values (one per confidence), got 3",
        () -> Calibration.reliability(new double[] {0.1, 0.2}, new int[] {1, 2}, new int[] {1, 2, 3}));
    assertMessage("probability NaN at row 0, class 1 is not in [0, 1]",
        () -> Calibration.fromProbabilities(new double[][] {{0.5, Double.NaN}}, new int[] {0}));
    assertMessage("labels must have 1 values (one per row of probabilities), got 0",
        () -> Calibration.fromProbabilities(new double[][] {{1.0}}, new int[0]));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }
}
