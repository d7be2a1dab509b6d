package io.opnp.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.math.LinearHead;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * SCALE, GEN, fDBD, NCI and RMDS against independent computations: hand-computed values, a second
 * formulation (geometric distances to the decision boundaries, ASH-S's own scale, by-definition
 * covariances inverted by cofactors) or brute force.
 */
class NewMethodsTest {
  /** Per test (JUnit makes an instance per test), so no test's data depends on which ran before. */
  private final Random RNG = new Random(20231127);

  private static double[] gaussian(int n, Random r) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = r.nextGaussian();
    }
    return x;
  }

  private static double[] relu(double[] x) {
    double[] y = x.clone();
    for (int i = 0; i < y.length; i++) {
      y[i] = Math.max(0, y[i]);
    }
    return y;
  }

  private static double[] score(OodMethod m, double[] h, int n) {
    double[] out = new double[n];
    m.score(h, n, out);
    return out;
  }

  private static double logSumExp(double[] f) {
    double s = 0;
    for (double v : f) {
      s += Math.exp(v);
    }
    return Math.log(s);
  }

  private static double[] logits(LinearHead head, double[] h, int row) {
    int c = head.classes();
    int d = head.dim();
    double[] w = head.weight();
    double[] b = head.bias();
    double[] f = new double[c];
    for (int i = 0; i < c; i++) {
      f[i] = b[i];
      for (int j = 0; j < d; j++) {
        f[i] += w[i * d + j] * h[row * d + j];
      }
    }
    return f;
  }

  @Test
  void aConfigurationAtItsDefaultsKeepsMethodAndPlanAndCompareEqualToItsEffectiveTwin() {
    io.opnp.math.PruningPercentages plan = new io.opnp.math.PruningPercentages(0, 10, 0, 5);
    DetectorSpec react = DetectorSpec.of(Method.OPNP_REACT).withPlan(plan).with(Param.REACT_PERCENTILE, 85);
    assertEquals(DetectorSpec.of(Method.OPNP_REACT).withPlan(plan), react.atDefaults());
    assertEquals(90.0, react.atDefaults().value(Param.REACT_PERCENTILE));
    // GEN's default M = 100 takes every class of a 10-class head, as M = 10 does: the grid keeps one of the two.
    DetectorSpec gen = DetectorSpec.of(Method.GEN).with(Param.GEN_GAMMA, 0.01).with(Param.GEN_M, 10);
    assertEquals(gen.atDefaults().with(Param.GEN_M, 10), gen.atDefaults().effective(10));
    assertEquals(gen.atDefaults(), gen.atDefaults().effective(1000));
    assertEquals(gen, gen.effective(10));
    assertEquals("a fusion has no defaults of its own: fusion(energy + react(clip p=90))", assertThrows(
        IllegalArgumentException.class, () -> DetectorSpec.fusion(List.of(DetectorSpec.of("energy"),
            DetectorSpec.of("react"))).atDefaults()).getMessage());
  }

  @Test
  void genIsMinusTheGeneralizedEntropyOfTheTopMProbabilities() {
    // logits (0, ln 2, ln 5): p = (1/8, 2/8, 5/8).
    LinearHead id3 = new LinearHead(3, 3, new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, new double[3]);
    double[] h = {0, Math.log(2), Math.log(5)};
    double g = 0.5;
    double all = Math.sqrt(0.125 * 0.875) + Math.sqrt(0.25 * 0.75) + Math.sqrt(0.625 * 0.375);
    double top2 = Math.sqrt(0.25 * 0.75) + Math.sqrt(0.625 * 0.375);
    MethodOptions o = MethodOptions.defaults().with(Param.GEN_GAMMA, g);
    assertEquals(-all, score(Method.GEN.build(id3, null, o.with(Param.GEN_M, 100)), h, 1)[0], 1e-15);
    assertEquals(-all, score(Method.GEN.build(id3, null, o.with(Param.GEN_M, 3)), h, 1)[0], 1e-15);
    assertEquals(-top2, score(Method.GEN.build(id3, null, o.with(Param.GEN_M, 2)), h, 1)[0], 1e-15);
    // A confident prediction is more in-distribution than a uniform one.
    double[] sure = {0, 0, 10};
    double[] unsure = {1, 1, 1};
    OodMethod gen = Method.GEN.build(id3, null, MethodOptions.defaults());
    assertTrue(score(gen, sure, 1)[0] > score(gen, unsure, 1)[0]);
  }

  @Test
  void scaleMultipliesTheWholeFeatureByAshSsFactorBeforeTheEnergy() {
    int d = 20;
    int n = 6;
    double[] h = relu(gaussian(n * d, RNG));
    for (double p : new double[] {65, 85, 95}) {
      double[] scaled = new double[n * d];
      new Scale(p).apply(h, n, d, scaled);
      double[] ash = new double[n * d];
      new Ash(Ash.Variant.S, p).apply(h, n, d, ash);
      for (int s = 0; s < n; s++) {
        // ASH-S keeps the top k scaled by exp(s1/s2) and zeroes the rest; SCALE scales every entry by it.
        double factor = Double.NaN;
        for (int j = 0; j < d; j++) {
          if (ash[s * d + j] != 0) {
            factor = ash[s * d + j] / h[s * d + j];
            break;
          }
        }
        for (int j = 0; j < d; j++) {
          assertEquals(h[s * d + j] * factor, scaled[s * d + j], 1e-12 * Math.abs(scaled[s * d + j]) + 1e-300);
        }
        // And by definition: the k = D − round(D·p/100) largest activations' sum.
        double[] sorted = Arrays.copyOfRange(h, s * d, s * d + d);
        Arrays.sort(sorted);
        int k = d - (int) Math.rint(d * p / 100);
        double s1 = Arrays.stream(sorted).sum();
        double s2 = Arrays.stream(sorted, d - k, d).sum();
        assertEquals(Math.exp(s1 / s2), factor, 1e-12 * factor);
      }
    }
    LinearHead head = new LinearHead(3, d, gaussian(3 * d, RNG), gaussian(3, RNG));
    OodMethod m = Method.SCALE.build(head, null, MethodOptions.defaults());
    double[] scaled = new double[n * d];
    new Scale(85).apply(h, n, d, scaled);
    for (int s = 0; s < n; s++) {
      assertEquals(logSumExp(logits(head, scaled, s)), score(m, h, n)[s], 1e-12);
    }
  }

  @Test
  void scaleLeavesAFeatureWithoutPositiveTopActivationsUnscaled() {
    double[] h = {0, 0, 0, 0};
    double[] out = new double[4];
    new Scale(50).apply(h, 1, 4, out);
    assertEquals(List.of(0.0, 0.0, 0.0, 0.0), Arrays.stream(out).boxed().toList());
  }

  @Test
  void fdbdSumsGeometricDistancesToThePredictedClasssBoundariesOverTheDistanceToTheMean() {
    int c = 5;
    int d = 7;
    int n = 10;
    LinearHead head = new LinearHead(c, d, gaussian(c * d, RNG), gaussian(c, RNG));
    double[] mean = gaussian(d, RNG);
    double[] h = gaussian(n * d, RNG);
    double[] got = score(new Fdbd(head, mean), h, n);
    double[] w = head.weight();
    double[] b = head.bias();
    for (int s = 0; s < n; s++) {
      double[] f = logits(head, h, s);
      int top = 0;
      for (int i = 1; i < c; i++) {
        top = f[i] > f[top] ? i : top;
      }
      double sum = 0;
      for (int other = 0; other < c; other++) {
        if (other == top) {
          continue;
        }
        // The boundary {x : (w_top − w_other)·x + b_top − b_other = 0}; the distance of h to it.
        double[] normal = new double[d];
        double offset = b[top] - b[other];
        for (int j = 0; j < d; j++) {
          normal[j] = w[top * d + j] - w[other * d + j];
        }
        double dot = offset;
        double norm2 = 0;
        for (int j = 0; j < d; j++) {
          dot += normal[j] * h[s * d + j];
          norm2 += normal[j] * normal[j];
        }
        sum += Math.abs(dot) / Math.sqrt(norm2);
      }
      double dist = 0;
      for (int j = 0; j < d; j++) {
        dist += (h[s * d + j] - mean[j]) * (h[s * d + j] - mean[j]);
      }
      assertEquals(sum / Math.sqrt(dist), got[s], 1e-12 * got[s]);
    }
  }

  @Test
  void nciIsTheProjectionOfTheCentredFeatureOnThePredictedWeightsPlusAlphaL1() {
    // Two classes in 2-D: w0 = (2, 0), w1 = (0, 1); mean (1, 1); h = (4, 5) is predicted class 0 (8 > 5).
    LinearHead head = new LinearHead(2, 2, new double[] {2, 0, 0, 1}, new double[2]);
    double[] mean = {1, 1};
    double[] h = {4, 5};
    // h − μ = (3, 4), ‖·‖ = 5; w0·(h − μ) = 6; ‖h‖₁ = 9.
    for (double alpha : new double[] {1e-4, 0.1}) {
      assertEquals(6.0 / 5 + alpha * 9, score(new Nci(head, mean, alpha), h, 1)[0], 1e-15);
    }
    // Through the table, α from the options.
    FeatureStats stats = stats(head.classes(), head.dim(), new double[] {0, 0, 2, 2}, new int[] {0, 1});
    assertEquals(6.0 / 5 + 0.01 * 9, score(Method.NCI.build(head, stats, MethodOptions.defaults()
        .with(Param.NCI_ALPHA, 0.01)), h, 1)[0], 1e-15);
  }

  private static FeatureStats stats(int classes, int dim, double[] train, int[] y) {
    double[] logits = new double[y.length * classes];
    return new FeatureStatsAccumulator(classes, dim, true).add(train, logits, y, y.length).result();
  }

  @Test
  void rmdsIsTheBackgroundDistanceMinusTheClosestClassDistanceByDefinition() {
    int d = 3;
    int classes = 3;
    int m = 90;
    double[] train = new double[m * d];
    int[] y = new int[m];
    for (int k = 0; k < m; k++) {
      y[k] = k % classes;
      for (int j = 0; j < d; j++) {
        train[k * d + j] = RNG.nextGaussian() * (1 + j) + 3 * y[k] * (j == 0 ? 1 : -0.5);
      }
    }
    FeatureStats stats = stats(classes, d, train, y);
    LinearHead head = new LinearHead(classes, d, gaussian(classes * d, RNG), new double[classes]);
    int n = 8;
    double[] q = gaussian(n * d, RNG);
    double ridge = 1e-6;
    double[] got = score(Method.RMDS.build(head, stats, MethodOptions.defaults().withCovarianceRidge(ridge)), q, n);
    double[] mds = score(Method.MAHALANOBIS.build(head, stats, MethodOptions.defaults().withCovarianceRidge(ridge)),
        q, n);
    // Background Gaussian by definition: the mean and the (1/m) covariance of all training rows.
    double[] mu = new double[d];
    for (int k = 0; k < m; k++) {
      for (int j = 0; j < d; j++) {
        mu[j] += train[k * d + j] / m;
      }
    }
    double[] cov = new double[d * d];
    for (int k = 0; k < m; k++) {
      for (int r = 0; r < d; r++) {
        for (int c = 0; c < d; c++) {
          cov[r * d + c] += (train[k * d + r] - mu[r]) * (train[k * d + c] - mu[c]) / m;
        }
      }
    }
    double lambda = ridge * (cov[0] + cov[4] + cov[8]) / d;
    for (int j = 0; j < d; j++) {
      cov[j * d + j] += lambda;
    }
    double[] p = Matrices3.inverse3(cov);
    for (int s = 0; s < n; s++) {
      double d0 = 0;
      for (int r = 0; r < d; r++) {
        for (int c = 0; c < d; c++) {
          d0 += (q[s * d + r] - mu[r]) * p[r * d + c] * (q[s * d + c] - mu[c]);
        }
      }
      assertEquals(mds[s] + d0, got[s], 1e-9 * Math.max(1, Math.abs(got[s])));
    }
  }


  @Test
  void opnpScaleIsScaleThroughThePrunedHead() {
    int d = 12;
    LinearHead head = new LinearHead(4, d, gaussian(4 * d, RNG), gaussian(4, RNG));
    double[] w = head.weight();
    for (int j = 0; j < d; j += 3) {
      w[j] = 0;  // a "pruned" head: another linear layer of the same shape
    }
    LinearHead pruned = new LinearHead(4, d, w, head.bias());
    double[] h = relu(gaussian(5 * d, RNG));
    MethodOptions o = MethodOptions.defaults().withPrunedHead(pruned).with(Param.SCALE_PERCENTILE, 75);
    double[] a = score(Method.OPNP_SCALE.build(head, null, o), h, 5);
    double[] b = score(Method.SCALE.build(pruned, null, o), h, 5);
    assertEquals(Arrays.stream(b).boxed().toList(), Arrays.stream(a).boxed().toList());
  }

  /** Every part of a fitted state, from m random training rows (labels k mod C) on {@code head}. */
  private FittedState fitted(LinearHead head, int m) {
    int c = head.classes();
    int d = head.dim();
    double[] train = relu(gaussian(m * d, RNG));
    int[] y = new int[m];
    for (int k = 0; k < m; k++) {
      y[k] = k % c;
    }
    double[] logits = new double[m * c];
    head.logits(train, m, logits);
    TrainingSums.Result training = new TrainingSums(c, d).add(train, logits, y, m).result();
    io.opnp.math.Sensitivity sens = new io.opnp.math.Sensitivity(c, d, m, 1, relu(gaussian(c * d, RNG)),
        relu(gaussian(d, RNG)), "m.pt", "abc");
    return FittedState.builder().training(training)
        .react(Param.REACT_PERCENTILE.grid(), new double[] {0.5, 0.6, 0.7, 0.8, 0.9})
        .vim(VimSubspace.fit(head, training.features(), 0), 1.0).bank(KnnBank.of(train, m, d))
        .guides(GuideBank.of(train, m, head)).sensitivity(sens).build();
  }

  @Test
  void everyMethodOfTheTableBuildsFromItsSpecAndScoresFinitely() {
    int c = 4;
    int d = 6;
    int m = 80;
    LinearHead head = new LinearHead(c, d, gaussian(c * d, RNG), gaussian(c, RNG));
    FittedState state = fitted(head, m);
    double[] q = relu(gaussian(5 * d, RNG));
    List<String> built = new ArrayList<>();
    for (Method method : Method.values()) {
      DetectorSpec spec = method == Method.FUSION
          ? DetectorSpec.fusion(List.of(DetectorSpec.of(Method.ENERGY), DetectorSpec.of(Method.MAHALANOBIS)))
          : DetectorSpec.of(method);
      if (method == Method.FUSION) {
        state = state.toBuilder().reference("energy", new double[] {-1, 0, 1})
            .reference("mahalanobis", new double[] {-3, -2, -1}).build();
      }
      if (method.usesPlan()) {
        spec = spec.withPlan(new io.opnp.math.PruningPercentages(10, 10, 10, 10));
      }
      if (method == Method.KNN) {
        spec = spec.with(Param.KNN_K, 10);
      }
      OodMethod scorer = spec.build(head, state, 1.0);
      assertEquals(method.key(), scorer.name());
      for (double s : score(scorer, q, 5)) {
        assertTrue(Double.isFinite(s), method + ": " + s);
      }
      built.add(method.key());
    }
    assertEquals(Method.NAMES, built);
  }

  @Test
  void scoringManyMethodsTogetherSharesEachHeadsLogitsAndGivesEachOwnScoresBitForBit() {
    int c = 5;
    int d = 8;
    int m = 100;
    LinearHead head = new LinearHead(c, d, gaussian(c * d, RNG), gaussian(c, RNG));
    FittedState state = fitted(head, m);
    // Every configuration of the selection's grid, on one head: many read the same logits.
    List<OodMethod> methods = new ArrayList<>();
    for (DetectorSpec spec : io.opnp.eval.DetectorSelectionAccess.grid(new io.opnp.math.PruningPercentages(10, 0, 10,
        0), state.bank(), c)) {
      methods.add(spec.build(head, state, 1.0));
    }
    int n = 17;
    double[] q = relu(gaussian(n * d, RNG));
    double[][] together = new double[methods.size()][n];
    Batch batch = new Batch(q, n, d);
    OodMethods.scoreAll(methods, batch, together);
    // One product per head and distinct input rows: the original head on h, each ReAct clip, each DICE head,
    // ASH's kept values per percentile (ASH-P and ASH-S share it) and ASH-B's; the pruned head on h (OPNP and
    // OPNP+SCALE share it), each clip and each kept set. SCALE, MSP, GEN, fDBD, NCI, SHE, KLM, ViM... add none.
    int react = Param.REACT_PERCENTILE.grid().length;
    int ash = Param.ASH_PERCENTILE.grid().length;
    assertEquals(1 + react + Param.DICE_SPARSITY.grid().length + 2 * ash + 1 + react + ash, batch.products(),
        methods.size() + " configurations");
    for (int i = 0; i < methods.size(); i++) {
      double[] alone = score(methods.get(i), q, n);
      assertEquals(Arrays.stream(alone).boxed().toList(), Arrays.stream(together[i]).boxed().toList(),
          methods.get(i).name());
    }
  }

  /** A training set of m rows in d dimensions over c classes, its head and labels; half the labels agree with the head. */
  private record Train(double[] h, double[] logits, int[] y, LinearHead head, int m, int d, int c) {}

  private Train train(int m, int d, int c) {
    LinearHead head = new LinearHead(c, d, gaussian(c * d, RNG), gaussian(c, RNG));
    double[] h = relu(gaussian(m * d, RNG));
    double[] logits = new double[m * c];
    head.logits(h, m, logits);
    int[] y = new int[m];
    for (int k = 0; k < m; k++) {
      int top = PredictedClassMethod.argmax(logits, k * c, c);
      y[k] = k % 2 == 0 ? top : (top + 1 + k % (c - 1)) % c;  // every odd row misclassified
    }
    return new Train(h, logits, y, head, m, d, c);
  }

  @Test
  void trainingSumsSplitAndMergeToTheSameStatisticsAsOnePass() {
    Train t = train(120, 5, 4);
    TrainingSums.Result one = new TrainingSums(4, 5).add(t.h, t.logits, t.y, 120).result();
    TrainingSums a = new TrainingSums(4, 5).add(Arrays.copyOfRange(t.h, 0, 50 * 5), Arrays.copyOfRange(t.logits, 0,
        50 * 4), Arrays.copyOfRange(t.y, 0, 50), 50);
    TrainingSums b = new TrainingSums(4, 5).add(Arrays.copyOfRange(t.h, 50 * 5, 120 * 5),
        Arrays.copyOfRange(t.logits, 50 * 4, 120 * 4), Arrays.copyOfRange(t.y, 50, 120), 70);
    TrainingSums.Result merged = a.merge(b).result();
    for (FeatureStats[] pair : new FeatureStats[][] {{one.features(), merged.features()},
        {one.normalized(), merged.normalized()}, {one.correct(), merged.correct()}, {one.softmax(), merged.softmax()}}) {
      double[] x = pair[0].classMeans();
      double[] z = pair[1].classMeans();
      for (int i = 0; i < x.length; i++) {
        assertEquals(x[i], z[i], 1e-12);
      }
      assertEquals(pair[0].count(), pair[1].count());
    }
    assertEquals(60, one.correct().count(), "the even rows, classified correctly");
  }

  @Test
  void shesPatternsAreTheMeansOfTheCorrectlyClassifiedAndItScoresTheInnerProduct() {
    Train t = train(200, 6, 3);
    TrainingSums.Result r = new TrainingSums(3, 6).add(t.h, t.logits, t.y, 200).result();
    // Patterns by definition: the mean of rows with label c that the head predicts as c.
    double[][] pattern = new double[3][6];
    int[] count = new int[3];
    for (int k = 0; k < 200; k++) {
      if (PredictedClassMethod.argmax(t.logits, k * 3, 3) == t.y[k]) {
        count[t.y[k]]++;
        for (int j = 0; j < 6; j++) {
          pattern[t.y[k]][j] += t.h[k * 6 + j];
        }
      }
    }
    double[] q = relu(gaussian(7 * 6, RNG));
    double[] got = score(Method.SHE.build(t.head, r.features(), MethodOptions.defaults().withTraining(r)), q, 7);
    for (int s = 0; s < 7; s++) {
      int top = PredictedClassMethod.argmax(logits(t.head, q, s), 0, 3);
      double want = 0;
      for (int j = 0; j < 6; j++) {
        want += q[s * 6 + j] * pattern[top][j] / count[top];
      }
      assertEquals(want, got[s], 1e-12 * Math.max(1, Math.abs(want)));
    }
  }

  @Test
  void klMatchingIsMinusTheSmallestDivergenceFromThePredictedClassTemplatesByDefinition() {
    Train t = train(150, 4, 3);
    TrainingSums.Result r = new TrainingSums(3, 4).add(t.h, t.logits, t.y, 150).result();
    double[][] template = new double[3][3];
    int[] count = new int[3];
    for (int k = 0; k < 150; k++) {
      double[] f = Arrays.copyOfRange(t.logits, k * 3, k * 3 + 3);
      int pred = PredictedClassMethod.argmax(f, 0, 3);
      double z = Math.exp(f[0]) + Math.exp(f[1]) + Math.exp(f[2]);
      count[pred]++;
      for (int i = 0; i < 3; i++) {
        template[pred][i] += Math.exp(f[i]) / z;
      }
    }
    double[] q = relu(gaussian(6 * 4, RNG));
    double[] got = score(Method.KLM.build(t.head, r.features(), MethodOptions.defaults().withTraining(r)), q, 6);
    for (int s = 0; s < 6; s++) {
      double[] f = logits(t.head, q, s);
      double z = Math.exp(f[0]) + Math.exp(f[1]) + Math.exp(f[2]);
      double best = Double.POSITIVE_INFINITY;
      for (int k = 0; k < 3; k++) {
        if (count[k] == 0) {
          continue;  // a one-hot template: infinite divergence from any softmax
        }
        double kl = 0;
        for (int i = 0; i < 3; i++) {
          double p = Math.exp(f[i]) / z;
          kl += p * Math.log(p / (template[k][i] / count[k]));
        }
        best = Math.min(best, kl);
      }
      assertEquals(-best, got[s], 1e-12);
    }
  }

  @Test
  void mahalanobisPlusPlusIsMahalanobisOnNormalizedFeaturesFittedOnNormalizedTrainingFeatures() {
    Train t = train(300, 3, 3);
    TrainingSums.Result r = new TrainingSums(3, 3).add(t.h, t.logits, t.y, 300).result();
    // A second formulation: normalize first, then the plain methods on plain statistics.
    double[] hn = TrainingSums.normalizedRows(t.h, 300, 3);
    FeatureStats direct = new FeatureStatsAccumulator(3, 3, true).add(hn, t.logits, t.y, 300).result();
    double[] q = relu(gaussian(9 * 3, RNG));
    for (int i = 0; i < q.length; i++) {
      q[i] += 0.05;  // no all-zero query: its direction is undefined
    }
    double[] qn = TrainingSums.normalizedRows(q, 9, 3);
    MethodOptions o = MethodOptions.defaults().withTraining(r);
    double[] mdspp = score(Method.MDSPP.build(t.head, r.features(), o), q, 9);
    double[] rmdspp = score(Method.RMDSPP.build(t.head, r.features(), o), q, 9);
    double[] mds = score(Method.MAHALANOBIS.build(t.head, direct, o), qn, 9);
    double[] rmds = score(Method.RMDS.build(t.head, direct, o), qn, 9);
    for (int s = 0; s < 9; s++) {
      assertEquals(mds[s], mdspp[s], 1e-9 * Math.max(1, Math.abs(mds[s])));
      assertEquals(rmds[s], rmdspp[s], 1e-9 * Math.max(1, Math.abs(rmds[s])));
      double norm = Math.sqrt(qn[s * 3] * qn[s * 3] + qn[s * 3 + 1] * qn[s * 3 + 1] + qn[s * 3 + 2] * qn[s * 3 + 2]);
      assertEquals(1.0, norm, 1e-12);
    }
    // Scale does not matter to the normalized methods.
    double[] q3 = q.clone();
    for (int i = 0; i < q3.length; i++) {
      q3[i] *= 3;
    }
    double[] again = score(Method.MDSPP.build(t.head, r.features(), o), q3, 9);
    for (int s = 0; s < 9; s++) {
      assertEquals(mdspp[s], again[s], 1e-9 * Math.max(1, Math.abs(mdspp[s])));
    }
  }

  @Test
  void nnGuideIsTheEnergyTimesTheMeanSimilarityOfTheKClosestGuidesByBruteForce() {
    int c = 4;
    int d = 6;
    int m = 40;
    LinearHead head = new LinearHead(c, d, gaussian(c * d, RNG), gaussian(c, RNG));
    double[] train = relu(gaussian(m * d, RNG));
    for (int i = 0; i < train.length; i++) {
      train[i] += 0.01;
    }
    GuideBank bank = GuideBank.of(train, m, head);
    int n = 5;
    double[] q = relu(gaussian(n * d, RNG));
    for (int i = 0; i < q.length; i++) {
      q[i] += 0.01;
    }
    for (int k : new int[] {1, 10, 100}) {
      double[] got = score(Method.NNGUIDE.build(head, null, MethodOptions.defaults().withGuides(bank)
          .with(Param.NNGUIDE_K, k)), q, n);
      for (int s = 0; s < n; s++) {
        double[] sims = new double[m];
        double[] z = unit(q, s, d);
        for (int i = 0; i < m; i++) {
          double[] g = unit(train, i, d);
          double e = logSumExp(logits(head, train, i));
          for (int j = 0; j < d; j++) {
            sims[i] += z[j] * g[j] * e;
          }
        }
        Arrays.sort(sims);
        int used = Math.min(k, m);
        double mean = Arrays.stream(sims, m - used, m).sum() / used;
        double want = logSumExp(logits(head, q, s)) * mean;
        assertEquals(want, got[s], 1e-12 * Math.max(1, Math.abs(want)), "K=" + k);
      }
    }
  }

  /** Row r divided by its norm, then 1e-10 added to every component (NNGuide's normalizer). */
  private static double[] unit(double[] x, int r, int d) {
    double s = 0;
    for (int j = 0; j < d; j++) {
      s += x[r * d + j] * x[r * d + j];
    }
    double[] z = new double[d];
    for (int j = 0; j < d; j++) {
      z[j] = x[r * d + j] / Math.sqrt(s) + 1e-10;
    }
    return z;
  }
}
