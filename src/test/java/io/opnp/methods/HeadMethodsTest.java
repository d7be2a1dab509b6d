package io.opnp.methods;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opnp.math.LinearHead;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HeadMethodsTest {
  /** W = I (2×2), b = 0, so the logits are the features. */
  private static final LinearHead IDENTITY = new LinearHead(2, 2, new double[] {1, 0, 0, 1}, new double[] {0, 0});

  private static double score(String name, LinearHead head, MethodOptions options, double... h) {
    double[] out = new double[1];
    OodMethods.create(name, head, null, options).score(h, 1, out);
    return out[0];
  }

  private static double logSumExp(double... f) {
    double s = 0;
    for (double v : f) {
      s += Math.exp(v);
    }
    return Math.log(s);
  }

  @Test
  void mspMaxLogitAndEnergyMatchHandComputedValues() {
    // f = (ln 3, 0): softmax = (3/4, 1/4), logsumexp = ln 4.
    MethodOptions o = MethodOptions.defaults();
    assertEquals(0.75, score("msp", IDENTITY, o, Math.log(3), 0), 1e-15);
    assertEquals(Math.log(3), score("maxlogit", IDENTITY, o, Math.log(3), 0), 0);
    assertEquals(Math.log(4), score("energy", IDENTITY, o, Math.log(3), 0), 1e-15);
    // T = 2: 2·log(exp(ln3/2) + 1) = 2·log(√3 + 1); softmax(f/2) = (√3, 1)/(√3 + 1).
    MethodOptions t2 = o.withTemperature(2);
    assertEquals(2 * Math.log(Math.sqrt(3) + 1), score("energy", IDENTITY, t2, Math.log(3), 0), 1e-15);
    assertEquals(Math.sqrt(3) / (Math.sqrt(3) + 1), score("msp", IDENTITY, t2, Math.log(3), 0), 1e-15);
  }

  @Test
  void reactClipsFeaturesAtTheThresholdBeforeTheEnergy() {
    MethodOptions o = MethodOptions.defaults().withReactThreshold(1.0);
    assertEquals(logSumExp(1.0, 0.5), score("react", IDENTITY, o, 2.0, 0.5), 1e-15);
    assertEquals(logSumExp(-3.0, 0.5), score("react", IDENTITY, o, -3.0, 0.5), 1e-15);
  }

  @Test
  void ashKeepCountRoundsHalfToEvenLikeNumpy() {
    assertEquals(1, Ash.kept(10, 90));
    assertEquals(8, Ash.kept(10, 25));   // round(2.5) = 2
    assertEquals(6, Ash.kept(10, 35));   // round(3.5) = 4
    assertEquals(0, Ash.kept(10, 100));
    assertEquals(205, Ash.kept(2048, 90));  // round(1843.2) = 1843
  }

  @Test
  void ashVariantsShapeActivationsAsThePaperDefines() {
    double[] h = {3, 10, 1, 8, 2, 9, 4, 7, 5, 6};  // s1 = 55; p = 60 keeps k = 4: 10, 9, 8, 7
    double[] p = new double[10];
    double[] b = new double[10];
    double[] s = new double[10];
    new Ash(Ash.Variant.P, 60).apply(h, 1, 10, p);
    new Ash(Ash.Variant.B, 60).apply(h, 1, 10, b);
    new Ash(Ash.Variant.S, 60).apply(h, 1, 10, s);
    assertArrayEquals(new double[] {0, 10, 0, 8, 0, 9, 0, 7, 0, 0}, p, 0);
    double fill = 55.0 / 4;
    assertArrayEquals(new double[] {0, fill, 0, fill, 0, fill, 0, fill, 0, 0}, b, 0);
    double scale = Math.exp(55.0 / 34);  // s2 = 10 + 9 + 8 + 7
    assertArrayEquals(new double[] {0, 10 * scale, 0, 8 * scale, 0, 9 * scale, 0, 7 * scale, 0, 0}, s, 1e-12);
  }

  @Test
  void ashWorksPerSampleAndBreaksTiesByLowerIndex() {
    double[] h = {1, 1, 1, 1, /* second sample */ 0, 0, 0, 0};
    double[] out = new double[8];
    new Ash(Ash.Variant.B, 50).apply(h, 2, 4, out);  // k = 2, s1 = 4 then 0
    assertArrayEquals(new double[] {2, 2, 0, 0, 0, 0, 0, 0}, out, 0);
    new Ash(Ash.Variant.S, 50).apply(h, 2, 4, out);  // second sample: s2 = 0, stays zero
    assertArrayEquals(new double[] {Math.exp(2), Math.exp(2), 0, 0, 0, 0, 0, 0}, out, 1e-15);
  }

  @Test
  void ashMethodsScoreTheEnergyOfShapedFeatures() {
    Random rnd = new Random(5);
    int c = 3;
    int d = 10;
    double[] w = new double[c * d];
    for (int i = 0; i < w.length; i++) {
      w[i] = rnd.nextGaussian();
    }
    LinearHead head = new LinearHead(c, d, w, new double[] {0.1, -0.2, 0.3});
    double[] h = {3, 10, 1, 8, 2, 9, 4, 7, 5, 6};
    double[] shaped = {0, 10, 0, 0, 0, 0, 0, 0, 0, 0};  // p = 90 keeps k = 1
    double[] f = new double[c];
    for (int i = 0; i < c; i++) {
      f[i] = head.bias()[i] + w[i * d + 1] * 10;
    }
    assertEquals(logSumExp(f), score("ash_p", head, MethodOptions.defaults(), h), 1e-12);
  }

  @Test
  void diceKeepsWeightsWhoseContributionExceedsThePercentile() {
    // W (2×3), mean feature (1, 2, 0.5): contributions V = W ⊙ mean.
    double[] w = {1, -1, 4, /* */ 3, 0.5, -2};
    double[] mean = {1, 2, 0.5};
    // V = {1, -2, 2, 3, 1, -1}; np.percentile(V, 50) = (1 + 1)/2 = 1; kept: V > 1 -> 2 (W=4), 3 (W=3).
    LinearHead sparse = Dice.sparsified(new LinearHead(2, 3, w, new double[] {0, 0}), mean, 50);
    assertArrayEquals(new double[] {0, 0, 4, 3, 0, 0}, sparse.weight(), 0);
    // p = 90: percentile = 2 + 0.5·(3 − 2) = 2.5; only V = 3 is kept.
    LinearHead sparse90 = Dice.sparsified(new LinearHead(2, 3, w, new double[] {0.5, -0.5}), mean, 90);
    assertArrayEquals(new double[] {0, 0, 0, 3, 0, 0}, sparse90.weight(), 0);
    assertArrayEquals(new double[] {0.5, -0.5}, sparse90.bias(), 0);
  }

  @Test
  void diceMethodScoresEnergyOfTheSparsifiedHeadWithTheTrainingMean() {
    LinearHead head = new LinearHead(2, 3, new double[] {1, -1, 4, 3, 0.5, -2}, new double[] {0.25, 0});
    // Training features whose mean is (1, 2, 0.5).
    double[] train = {0, 1, 0, 2, 3, 1};
    FeatureStats stats = new FeatureStatsAccumulator(2, 3, false)
        .add(train, new double[4], new int[] {0, 1}, 2).result();
    double[] out = new double[1];
    OodMethods.create("dice", head, stats, MethodOptions.defaults()).score(new double[] {1, 1, 1}, 1, out);
    // Sparsified W keeps only W[1][0] = 3: f = (0.25, 3).
    assertEquals(logSumExp(0.25, 3), out[0], 1e-15);
  }

  @Test
  void opnpCombinationsUseThePrunedHead() {
    LinearHead pruned = new LinearHead(2, 2, new double[] {1, 0, 0, 0}, new double[] {0, 0.5});
    MethodOptions o = MethodOptions.defaults().withPrunedHead(pruned).withReactThreshold(1.5);
    // opnp: f = (h0, 0.5).
    assertEquals(logSumExp(2, 0.5), score("opnp", IDENTITY, o, 2, 7), 1e-15);
    // opnp_react: h0 clipped to 1.5 first.
    assertEquals(logSumExp(1.5, 0.5), score("opnp_react", IDENTITY, o, 2, 7), 1e-15);
    // opnp_ash (ASH-S, p = 50 on D = 2 keeps k = 1, the 7): h becomes (0, 7·e^{9/7}); f = (0, 0.5).
    assertEquals(logSumExp(0, 0.5), score("opnp_ash", IDENTITY, o.with(io.opnp.methods.Param.ASH_PERCENTILE, 50), 2, 7), 1e-15);
    // with ASH-P at p = 0 nothing is removed: same as opnp.
    assertEquals(logSumExp(2, 0.5),
        score("opnp_ash", IDENTITY, o.with(io.opnp.methods.Param.ASH_PERCENTILE, 0).withOpnpAshVariant("p"), 2, 7), 1e-15);
  }
}
