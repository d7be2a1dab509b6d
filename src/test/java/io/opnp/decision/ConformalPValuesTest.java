package io.opnp.decision;

import static io.opnp.decision.ThresholdTest.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConformalPValuesTest {
  @Test
  void matchesADirectCount() {
    Random random = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      double[] calibration = new double[1 + random.nextInt(300)];
      for (int i = 0; i < calibration.length; i++) {
        calibration[i] = Math.round(random.nextGaussian() * 5) / 5.0;
      }
      ConformalPValues p = new ConformalPValues(calibration);
      double[] queries = new double[calibration.length + 50];
      for (int i = 0; i < queries.length; i++) {
        queries[i] = i < calibration.length ? calibration[i] : random.nextGaussian() * 3;
      }
      for (double q : queries) {
        long atOrBelow = Arrays.stream(calibration).filter(c -> c <= q).count();
        assertEquals((1.0 + atOrBelow) / (calibration.length + 1.0), p.pValue(q), "score " + q);
      }
    }
  }

  @Test
  void pValuesOfFreshIdScoresAreUniform() {
    // n + 1 = 100 makes P(p ≤ α) exactly α for α a multiple of 0.01 (continuous scores, exchangeable)
    Random random = new Random(11);
    int draws = 20_000;
    double[] levels = {0.05, 0.2, 0.5};
    int[] atMost = new int[levels.length];
    for (int d = 0; d < draws; d++) {
      double[] calibration = new double[99];
      for (int i = 0; i < calibration.length; i++) {
        calibration[i] = random.nextGaussian();
      }
      double p = new ConformalPValues(calibration).pValue(random.nextGaussian());
      for (int l = 0; l < levels.length; l++) {
        atMost[l] += p <= levels[l] ? 1 : 0;
      }
    }
    for (int l = 0; l < levels.length; l++) {
      double share = (double) atMost[l] / draws;
      double tolerance = 4 * Math.sqrt(levels[l] * (1 - levels[l]) / draws);
      System.out.printf("share of fresh ID inputs with p <= %.2f: %.4f%n", levels[l], share);
      assertEquals(levels[l], share, tolerance, "P(p <= " + levels[l] + ")");
    }
  }

  @Test
  void isMonotoneInTheScoreFromOneOverNPlusOneToOne() {
    Random random = new Random(3);
    double[] calibration = random.doubles(50).map(x -> Math.round(x * 20) / 20.0).toArray();
    ConformalPValues p = new ConformalPValues(calibration);
    double[] queries = random.doubles(1000, -0.5, 1.5).sorted().toArray();
    for (int i = 1; i < queries.length; i++) {
      assertTrue(p.pValue(queries[i]) >= p.pValue(queries[i - 1]), "at " + queries[i]);
    }
    assertEquals(1.0 / 51, p.pValue(Double.NEGATIVE_INFINITY));
    assertEquals(1.0, p.pValue(Arrays.stream(calibration).max().getAsDouble()));
    assertEquals(1.0, p.pValue(Double.POSITIVE_INFINITY));
    assertEquals(Double.NaN, p.pValue(Double.NaN));
  }

  @Test
  void isImmutableAndSerializable() throws Exception {
    double[] calibration = {3, 1, 2};
    ConformalPValues p = new ConformalPValues(calibration);
    calibration[0] = -10;
    p.sortedScores()[0] = 99;
    assertArrayEquals(new double[] {1, 2, 3}, p.sortedScores());
    assertEquals(3, p.size());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(p);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      ConformalPValues copy = (ConformalPValues) in.readObject();
      assertArrayEquals(p.sortedScores(), copy.sortedScores());
      assertEquals(0.75, copy.pValue(2.5));
    }
  }

  @Test
  void rejectsBadCalibrationScores() {
    assertEquals("ID scores must not be empty", message(() -> new ConformalPValues(new double[0])));
    assertEquals("ID score at index 1 is Infinity; scores must be finite",
        message(() -> new ConformalPValues(new double[] {0, Double.POSITIVE_INFINITY})));
  }
}
