package io.opnp.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.BadInputException;
import io.opnp.data.Preprocess;
import io.opnp.decision.FalseAlarmBootstrap;
import io.opnp.decision.FalseAlarmEstimate;
import io.opnp.math.LinearHead;
import io.opnp.math.PruningPercentages;
import io.opnp.math.PruningPlan;
import io.opnp.math.Sensitivity;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FeatureStats;
import io.opnp.methods.FeatureStatsAccumulator;
import io.opnp.methods.KnnBank;
import io.opnp.methods.MethodOptions;
import io.opnp.methods.OodMethod;
import io.opnp.methods.OodMethods;
import io.opnp.methods.VimSubspace;
import io.opnp.spark.InferenceConfig;
import io.opnp.testing.SparkTestSession;
import io.opnp.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of fitted state through a saved bundle and back: the rebuilt scorer gives the scores of
 * the method built directly from the same inputs, bit for bit, for methods that need statistics
 * (dice, mahalanobis, vim), the KNN bank, ReAct's clip, ASH, and OPNP's plan.
 */
class DetectorRoundTripTest {
  private static final int C = 6;
  private static final int D = 20;
  /** Where a format-2 bundle keeps ViM's subspace. */
  private static final String VIM_FILE = "state/vim/subspace.f64";

  @TempDir
  Path tmp;

  @Test
  void everyKindOfStateScoresAlikeAfterSavingAndLoading() {
    SparkSession spark = SparkTestSession.get();
    Random r = new Random(11);
    LinearHead head = new LinearHead(C, D, gaussian(C * D, r), gaussian(C, r));
    double[] train = relu(gaussian(300 * D, r));
    io.opnp.methods.TrainingSums.Result training = sums(head, train, 300);
    FeatureStats stats = training.features();
    VimSubspace vim = VimSubspace.fit(head, stats, 0);
    double vimResidual = vim.residualNormSum(train, 300) / 300;
    KnnBank bank = KnnBank.of(train, 200, D);
    Sensitivity sens = new Sensitivity(C, D, 300, 1, abs(gaussian(C * D, r)), abs(gaussian(D, r)), "m.pt", "abc");
    PruningPercentages plan = new PruningPercentages(5, 10, 10, 0);
    double clip = 1.3;
    io.opnp.methods.GuideBank guides = io.opnp.methods.GuideBank.of(train, 250, head);
    MethodOptions base = MethodOptions.defaults().withVim(vim, vimResidual).withKnnBank(bank).withTraining(training)
        .withGuides(guides);
    LinearHead pruned = head.pruned(PruningPlan.of(sens, plan));
    double[] test = relu(gaussian(50 * D, r));
    InferenceConfig cfg = new InferenceConfig(io.opnp.cli.JobOptionsAccess.stage(TestData.demoModel()), "fc.weight", "fc.bias",
        new Preprocess(1, 28, 28, null, null), 64, 1, 1.0, false, 0, io.opnp.model.Precision.AUTO);
    List<DetectorSpec> specs = List.of(DetectorSpec.of(io.opnp.methods.Method.DICE.key()).with(io.opnp.methods.Param.DICE_SPARSITY, 70),
        DetectorSpec.of(io.opnp.methods.Method.MAHALANOBIS.key()), DetectorSpec.of(io.opnp.methods.Method.VIM.key()),
        DetectorSpec.of(io.opnp.methods.Method.KNN.key()).with(io.opnp.methods.Param.KNN_K, 10), DetectorSpec.of(io.opnp.methods.Method.REACT.key()).with(io.opnp.methods.Param.REACT_PERCENTILE, 95),
        DetectorSpec.of(io.opnp.methods.Method.ASH_B.key()).with(io.opnp.methods.Param.ASH_PERCENTILE, 80),
        DetectorSpec.of(io.opnp.methods.Method.OPNP_REACT.key()).withPlan(plan).with(io.opnp.methods.Param.REACT_PERCENTILE, 85),
        DetectorSpec.of(io.opnp.methods.Method.OPNP_ASH.key()).withPlan(plan).with(io.opnp.methods.Param.ASH_PERCENTILE, 60),
        DetectorSpec.of("gen").with(io.opnp.methods.Param.GEN_GAMMA, 0.5).with(io.opnp.methods.Param.GEN_M, 3),
        DetectorSpec.of("scale").with(io.opnp.methods.Param.SCALE_PERCENTILE, 75), DetectorSpec.of("rmds"),
        DetectorSpec.of("fdbd"), DetectorSpec.of("nci").with(io.opnp.methods.Param.NCI_ALPHA, 0.01),
        DetectorSpec.of("mdspp"), DetectorSpec.of("nnguide").with(io.opnp.methods.Param.NNGUIDE_K, 10), DetectorSpec.of("rmdspp"), DetectorSpec.of("she"), DetectorSpec.of("klm"),
        DetectorSpec.of("opnp_scale").withPlan(plan).with(io.opnp.methods.Param.SCALE_PERCENTILE, 65));
    double[] calibration = gaussian(100, r);
    FalseAlarmEstimate far = FalseAlarmBootstrap.interval(calibration, 0.95, 200, 0.95, 1);
    // ReAct's clip at each percentile the specs use (the same value: the test is the round trip, not the fit).
    io.opnp.methods.FittedState state = io.opnp.methods.FittedState.builder().training(training)
        .react(new double[] {95, 85}, new double[] {clip, clip}).vim(vim, vimResidual).bank(bank).guides(guides)
        .sensitivity(sens).build();
    for (DetectorSpec spec : specs) {
      String dir = tmp.resolve(spec.method().key()).toString();
      DetectorBundle.save(spark, dir, new DetectorBundle.Context(cfg), new DetectorBundle.Fitted(spec, far, 0.95,
          calibration, state, Map.of()));
      Detector d = DetectorBundle.load(spark, dir);
      assertEquals(spec, d.spec());
      if (spec.method().needs(io.opnp.methods.Method.Need.VIM)) {
        // Restored as saved, not refitted.
        assertEquals(vim.principalDim(), d.vim().principalDim());
        assertArrayEquals(vim.origin(), d.vim().origin());
        assertArrayEquals(vim.residualRows(), d.vim().residualRows());
      } else {
        assertNull(d.vim(), spec.label());
      }
      assertEquals(far.threshold(), d.threshold());
      // Built by hand from the spec's values, not through DetectorSpec.build.
      MethodOptions o = base;
      for (io.opnp.methods.Param p : spec.method().params()) {
        o = o.with(p, spec.value(p));
      }
      if (spec.method().needs(io.opnp.methods.Method.Need.REACT_THRESHOLD)) {
        o = o.withReactThreshold(clip);
      }
      if (spec.method().usesPlan()) {
        o = o.withPrunedHead(pruned);
      }
      OodMethod direct = spec.method().build(head, stats, o);
      assertArrayEquals(score(direct, test), score(d.scorer(head), test), spec.label());
      assertTrue(Files.exists(tmp.resolve(spec.method().key()).resolve(DetectorBundle.FILE)));
    }
  }

  @Test
  void aFusionSavesItsMembersTheirReferencesAndItsCombinationAndScoresItsMembersPValuesCombined() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Random r = new Random(31);
    LinearHead head = new LinearHead(C, D, gaussian(C * D, r), gaussian(C, r));
    double[] train = relu(gaussian(300 * D, r));
    io.opnp.methods.TrainingSums.Result training = sums(head, train, 300);
    KnnBank bank = KnnBank.of(train, 200, D);
    Sensitivity sens = new Sensitivity(C, D, 300, 1, abs(gaussian(C * D, r)), abs(gaussian(D, r)), "m.pt", "abc");
    PruningPercentages plan = new PruningPercentages(5, 10, 10, 0);
    List<DetectorSpec> members = List.of(DetectorSpec.of("nci").with(io.opnp.methods.Param.NCI_ALPHA, 0.01),
        DetectorSpec.of("opnp_react").withPlan(plan).with(io.opnp.methods.Param.REACT_PERCENTILE, 85),
        DetectorSpec.of("knn").with(io.opnp.methods.Param.KNN_K, 10));
    double[] test = relu(gaussian(60 * D, r));
    // Each member's reference: its own scores on held-out ID features (here training-like rows).
    io.opnp.methods.FittedState.Builder b = io.opnp.methods.FittedState.builder().training(training)
        .react(new double[] {85}, new double[] {1.1}).bank(bank).sensitivity(sens);
    io.opnp.methods.FittedState plain = b.build();
    double[] heldOut = relu(gaussian(40 * D, r));
    List<double[]> references = new java.util.ArrayList<>();
    for (DetectorSpec m : members) {
      double[] ref = score(m.build(head, plain, 1.0), heldOut);
      references.add(ref);
      b.reference(m.label(), ref);
    }
    io.opnp.methods.FittedState state = b.build();
    InferenceConfig cfg = new InferenceConfig(io.opnp.cli.JobOptionsAccess.stage(TestData.demoModel()), "fc.weight",
        "fc.bias", new Preprocess(1, 28, 28, null, null), 64, 1, 1.0, false, 0, io.opnp.model.Precision.AUTO);
    double[] calibration = gaussian(100, r);
    FalseAlarmEstimate far = FalseAlarmBootstrap.interval(calibration, 0.95, 200, 0.95, 1);
    double[][] memberScores = new double[members.size()][];
    for (int m = 0; m < members.size(); m++) {
      memberScores[m] = score(members.get(m).build(head, plain, 1.0), test);
    }
    for (io.opnp.methods.Fusion.Combination c : io.opnp.methods.Fusion.Combination.values()) {
      DetectorSpec fusion = DetectorSpec.fusion(members, c);
      String dir = tmp.resolve("fusion-" + c.key()).toString();
      DetectorBundle.save(spark, dir, new DetectorBundle.Context(cfg), new DetectorBundle.Fitted(fusion, far, 0.95,
          calibration, state, Map.of()));
      assertTrue(Files.exists(tmp.resolve("fusion-" + c.key() + "/sensitivity")),
          "a pruning member brings the sensitivity along");
      // Format 2 for the minimum, which versions before the harmonic mean score alike; 3 otherwise, which they refuse.
      assertEquals(c == io.opnp.methods.Fusion.Combination.MIN ? 2 : 3, new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(tmp.resolve("fusion-" + c.key()).resolve(DetectorBundle.FILE).toFile()).get("format").asInt());
      Detector d = DetectorBundle.load(spark, dir);
      assertEquals(fusion, d.spec());
      assertEquals(c, d.spec().combination());
      assertEquals("fusion(nci(α=0.01) + opnp_react(wmax=5 wmin=10 omax=10, clip p=85) + knn(k=10))",
          d.spec().label());
      double[] loaded = score(d.scorer(head), test);
      // By hand: each member's p-value (1 + #{ref <= s}) / (n + 1) counted directly; the smallest of them, or their
      // harmonic mean K / sum(1/p) summed in member order.
      boolean[] decides = new boolean[members.size()];
      for (int i = 0; i < 60; i++) {
        double smallest = Double.POSITIVE_INFINITY;
        double inverses = 0;
        int which = -1;
        for (int k = 0; k < members.size(); k++) {
          int below = 0;
          for (double x : references.get(k)) {
            below += x <= memberScores[k][i] ? 1 : 0;
          }
          double p = (1.0 + below) / (references.get(k).length + 1.0);
          inverses += 1 / p;
          if (p < smallest) {
            smallest = p;
            which = k;
          }
        }
        double expected = c == io.opnp.methods.Fusion.Combination.MIN ? smallest : members.size() / inverses;
        assertEquals(expected, loaded[i], 0.0, c + ", input " + i);
        decides[which] = true;
      }
      for (int m = 0; m < members.size(); m++) {
        assertTrue(decides[m], "every member is the smallest p-value for some input: the test sees all");
      }
    }
  }

  /** A vim detector and the inputs to score it with, built directly from the same state. */
  private record VimCase(LinearHead head, io.opnp.methods.TrainingSums.Result training, VimSubspace vim,
                         double meanResidual, double[] test) {
    static VimCase make() {
      Random r = new Random(23);
      LinearHead head = new LinearHead(C, D, gaussian(C * D, r), gaussian(C, r));
      double[] train = relu(gaussian(300 * D, r));
      var training = sums(head, train, 300);
      VimSubspace vim = VimSubspace.fit(head, training.features(), 0);
      return new VimCase(head, training, vim, vim.residualNormSum(train, 300) / 300, relu(gaussian(50 * D, r)));
    }

    double[] directScores() {
      return score(DetectorSpec.of("vim").method().build(head, training.features(),
          MethodOptions.defaults().withVim(vim, meanResidual).withTraining(training)), test);
    }

    String save(SparkSession spark, Path dir) {
      double[] calibration = gaussian(100, new Random(5));
      InferenceConfig cfg = new InferenceConfig(io.opnp.cli.JobOptionsAccess.stage(TestData.demoModel()), "fc.weight",
          "fc.bias", new Preprocess(1, 28, 28, null, null), 64, 1, 1.0, false, 0, io.opnp.model.Precision.AUTO);
      DetectorBundle.save(spark, dir.toString(), new DetectorBundle.Context(cfg), new DetectorBundle.Fitted(
          DetectorSpec.of("vim"), FalseAlarmBootstrap.interval(calibration, 0.95, 200, 0.95, 1), 0.95, calibration,
          io.opnp.methods.FittedState.builder().training(training).vim(vim, meanResidual).build(), Map.of()));
      return dir.toString();
    }
  }

  @Test
  void aVimDetectorKeepsItsSubspaceThroughSaveAndLoadAndScoresBitForBit() {
    SparkSession spark = SparkTestSession.get();
    VimCase v = VimCase.make();
    String dir = v.save(spark, tmp.resolve("vim"));
    assertTrue(Files.exists(Path.of(dir, VIM_FILE)));
    Detector d = DetectorBundle.load(spark, dir);
    assertArrayEquals(v.vim().residualRows(), d.vim().residualRows());
    assertArrayEquals(v.vim().origin(), d.vim().origin());
    assertArrayEquals(v.directScores(), score(d.scorer(v.head()), v.test()));
  }

  @Test
  void aVimBundleWrittenBeforeTheSubspaceWasSavedStillLoadsAndScoresTheSame() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Format1BundlesTest.Fixture f = Format1BundlesTest.Fixture.read();
    Path dir = f.copy("vim", tmp.resolve("old-vim"));
    // What format 1 wrote before the subspace was saved: no subspace file, no subspace fields in the state.
    Files.delete(dir.resolve("vim-subspace.f64"));
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    var root = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(dir.resolve(DetectorBundle.FILE)
        .toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("state")).remove(List.of("vim_dim",
        "vim_principal_dim"));
    Files.writeString(dir.resolve(DetectorBundle.FILE), mapper.writeValueAsString(root));
    Files.deleteIfExists(dir.resolve("." + DetectorBundle.FILE + ".crc"));  // Hadoop's local checksum of the old file
    Detector d = DetectorBundle.load(spark, dir.toString());
    assertNull(d.vim(), "refitted when the scorer is built");
    f.assertScoresAsSaved("vim", d);
  }

  @Test
  void aVimBundleMissingItsSubspaceFileIsRefusedNamingTheFile() throws Exception {
    SparkSession spark = SparkTestSession.get();
    VimCase v = VimCase.make();
    Path dir = tmp.resolve("damaged-vim");
    v.save(spark, dir);
    Files.delete(dir.resolve(VIM_FILE));
    BadInputException e = assertThrows(BadInputException.class, () -> DetectorBundle.load(spark, dir.toString()));
    assertTrue(e.getMessage().contains(VIM_FILE) && e.getMessage().contains("damaged"), e.getMessage());
  }

  @Test
  void aDamagedBundleIsRefusedNamingTheFile() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path dir = Files.createDirectories(tmp.resolve("broken"));
    BadInputException e = assertThrows(BadInputException.class, () -> DetectorBundle.load(spark, dir.toString()));
    assertTrue(e.getMessage().startsWith("no detector at " + dir), e.getMessage());
    Files.writeString(dir.resolve(DetectorBundle.FILE), "{\"format\": 2, \"method\": \"energy\"}");
    e = assertThrows(BadInputException.class, () -> DetectorBundle.load(spark, dir.toString()));
    assertTrue(e.getMessage().contains("is incomplete or malformed"), e.getMessage());
    Files.writeString(dir.resolve(DetectorBundle.FILE), "{\"format\": 1, \"method\": \"energy\"}");
    e = assertThrows(BadInputException.class, () -> DetectorBundle.load(spark, dir.toString()));
    assertTrue(e.getMessage().contains("is incomplete or malformed"), e.getMessage());
  }

  private static double[] score(OodMethod m, double[] f) {
    double[] out = new double[f.length / D];
    m.score(f, out.length, out);
    return out;
  }

  /** The training statistics of n rows labelled round-robin over the classes. */
  private static io.opnp.methods.TrainingSums.Result sums(LinearHead head, double[] train, int n) {
    double[] logits = new double[n * C];
    head.logits(train, n, logits);
    int[] labels = new int[n];
    for (int k = 0; k < n; k++) {
      labels[k] = k % C;
    }
    return new io.opnp.methods.TrainingSums(C, D).add(train, logits, labels, n).result();
  }

  private static double[] gaussian(int n, Random r) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextGaussian();
    }
    return a;
  }

  private static double[] relu(double[] a) {
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.max(0, a[i] + 0.3);
    }
    return a;
  }

  private static double[] abs(double[] a) {
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.abs(a[i]);
    }
    return a;
  }
}
