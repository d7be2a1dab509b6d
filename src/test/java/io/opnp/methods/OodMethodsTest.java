package io.opnp.methods;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.math.LinearHead;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OodMethodsTest {
  private static final int C = 3;
  private static final int D = 8;
  private static final int M = 60;

  private final LinearHead head;
  private final double[] train;
  private final FeatureStats stats;
  private final MethodOptions options;

  OodMethodsTest() {
    Random rnd = new Random(99);
    double[] w = new double[C * D];
    for (int i = 0; i < w.length; i++) {
      w[i] = rnd.nextGaussian();
    }
    head = new LinearHead(C, D, w, new double[] {0.1, 0.2, -0.3});
    train = new double[M * D];
    int[] labels = new int[M];
    for (int k = 0; k < M; k++) {
      labels[k] = k % C;
      for (int j = 0; j < D; j++) {
        train[k * D + j] = Math.max(0, rnd.nextGaussian() + (j % C == labels[k] ? 2 : 0));
      }
    }
    double[] logits = new double[M * C];
    head.logits(train, M, logits);
    TrainingSums.Result training = new TrainingSums(C, D).add(train, logits, labels, M).result();
    stats = training.features();
    VimSubspace sub = VimSubspace.fit(head, stats, 0);
    double[] prunedW = w.clone();
    prunedW[0] = 0;
    options = MethodOptions.defaults()
        .withReactThreshold(Percentile.of(train, 90))
        .withPrunedHead(new LinearHead(C, D, prunedW, head.bias()))
        .withVim(sub, sub.residualNormSum(train, M) / M)
        .withKnnBank(KnnBank.of(train, M, D))
        .with(io.opnp.methods.Param.KNN_K, 5)
        .withTraining(training)
        .withGuides(GuideBank.of(train, M, head))
        // A fusion of two head-only methods, each referred to its own scores on the training rows.
        .withFusion(java.util.List.of(OodMethods.create("energy", head, stats, MethodOptions.defaults()),
            OodMethods.create("maxlogit", head, stats, MethodOptions.defaults())),
            java.util.List.of(scores("energy", train), scores("maxlogit", train)), DetectorSpec.COMBINATION);
  }

  private double[] scores(String method, double[] rows) {
    double[] out = new double[M];
    OodMethods.create(method, head, stats, MethodOptions.defaults()).score(rows, M, out);
    return out;
  }

  @Test
  void everyNamedMethodBuildsUnderItsNameAndGivesFiniteScores() {
    double[] queries = java.util.Arrays.copyOf(train, 4 * D);
    for (String name : OodMethods.NAMES) {
      OodMethod method = OodMethods.create(name, head, stats, options);
      assertEquals(name, method.name());
      double[] out = new double[4];
      method.score(queries, 4, out);
      for (double v : out) {
        assertTrue(Double.isFinite(v), name + " gave " + v);
      }
    }
    assertEquals(27, OodMethods.NAMES.size());
  }

  @Test
  void methodsSurviveJavaSerializationWithIdenticalScores() throws Exception {
    double[] queries = java.util.Arrays.copyOfRange(train, 10 * D, 16 * D);
    for (String name : OodMethods.NAMES) {
      OodMethod method = OodMethods.create(name, head, stats, options);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(method);
      }
      OodMethod copy;
      try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        copy = (OodMethod) in.readObject();
      }
      double[] a = new double[6];
      double[] b = new double[6];
      method.score(queries, 6, a);
      copy.score(queries, 6, b);
      assertArrayEquals(a, b, 0, name);
    }
  }

  @Test
  void scoringDoesNotModifyTheFeatures() {
    double[] queries = java.util.Arrays.copyOf(train, 3 * D);
    double[] before = queries.clone();
    for (String name : OodMethods.NAMES) {
      OodMethods.create(name, head, stats, options).score(queries, 3, new double[3]);
      assertArrayEquals(before, queries, 0, name);
    }
  }

  @Test
  void unknownMethodListsTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OodMethods.create("odin", head, stats, options));
    assertEquals("unknown OOD method odin; known: [msp, maxlogit, energy, react, dice, gen, ash_p, ash_b, ash_s, "
        + "scale, gradnorm, mahalanobis, rmds, fdbd, nci, mdspp, rmdspp, she, klm, vim, nnguide, knn, opnp, opnp_react, "
        + "opnp_ash, opnp_scale, fusion]",
        e.getMessage());
  }

  @Test
  void missingInputsAreNamed() {
    MethodOptions none = MethodOptions.defaults();
    assertEquals("method react needs MethodOptions.withReactThreshold(c), c = a percentile of ID training activations",
        assertThrows(IllegalArgumentException.class, () -> OodMethods.create("react", head, null, none)).getMessage());
    assertEquals("method opnp_ash needs MethodOptions.withPrunedHead(head.pruned(plan))",
        assertThrows(IllegalArgumentException.class, () -> OodMethods.create("opnp_ash", head, null, none))
            .getMessage());
    assertEquals("method dice needs feature statistics of the training set",
        assertThrows(IllegalArgumentException.class, () -> OodMethods.create("dice", head, null, none)).getMessage());
    assertEquals("method knn needs MethodOptions.withKnnBank(bank)",
        assertThrows(IllegalArgumentException.class, () -> OodMethods.create("knn", head, null, none)).getMessage());
  }

  @Test
  void optionsRejectOutOfRangeValues() {
    assertEquals("dice_sparsity must be in [0, 100], got 120.0", assertThrows(IllegalArgumentException.class,
        () -> MethodOptions.defaults().with(io.opnp.methods.Param.DICE_SPARSITY, 120)).getMessage());
    assertEquals("ASH variant must be one of p, b, s, got x", assertThrows(IllegalArgumentException.class,
        () -> MethodOptions.defaults().withOpnpAshVariant("x")).getMessage());
    assertEquals("temperature must be a finite positive number, got 0.0", assertThrows(IllegalArgumentException.class,
        () -> MethodOptions.defaults().withTemperature(0)).getMessage());
  }

  @Test
  void theTableSaysWhatEachMethodNeeds() {
    assertTrue(Method.parse("dice").needs(Method.Need.STATS));
    assertTrue(Method.parse("vim").needs(Method.Need.VIM));
    assertTrue(Method.parse("KNN").needs(Method.Need.BANK));
    assertTrue(Method.parse("opnp_react").needs(Method.Need.REACT_THRESHOLD) && Method.OPNP_REACT.usesPlan());
    assertTrue(!Method.parse("energy").needs(Method.Need.STATS) && !Method.ENERGY.usesPlan());
    assertEquals("unknown OOD method odin; known: " + Method.NAMES, assertThrows(IllegalArgumentException.class,
        () -> Method.parse("odin")).getMessage());
  }
}
