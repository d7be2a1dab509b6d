package io.opnp.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.math.LinearHead;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KnnTest {
  private static final int D = 6;

  private static double[] features(int n, long seed) {
    Random rnd = new Random(seed);
    double[] a = new double[n * D];
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.abs(rnd.nextGaussian()) * (1 + i % 3);
    }
    return a;
  }

  /** All distances from query q to every bank row, normalized the paper's way, sorted ascending. */
  private static double[] bruteForce(double[] bank, int m, double[] queries, int q) {
    double[] nq = normalized(queries, q);
    double[] d = new double[m];
    for (int r = 0; r < m; r++) {
      double[] nb = normalized(bank, r);
      double s = 0;
      for (int j = 0; j < D; j++) {
        s += (nq[j] - nb[j]) * (nq[j] - nb[j]);
      }
      d[r] = Math.sqrt(s);
    }
    Arrays.sort(d);
    return d;
  }

  private static double[] normalized(double[] a, int row) {
    double s = 0;
    for (int j = 0; j < D; j++) {
      s += a[row * D + j] * a[row * D + j];
    }
    double[] z = new double[D];
    for (int j = 0; j < D; j++) {
      z[j] = a[row * D + j] / (Math.sqrt(s) + 1e-10);
    }
    return z;
  }

  @Test
  void topKEqualsBruteForceSortedDistances() {
    int m = 40;
    int n = 7;
    int k = 10;
    double[] bank = features(m, 1);
    double[] queries = features(n, 2);
    TopK top = TopK.of(KnnBank.of(bank, m, D), queries, n, k);
    for (int q = 0; q < n; q++) {
      double[] want = bruteForce(bank, m, queries, q);
      for (int r = 0; r < k; r++) {
        assertEquals(want[r], top.distance(q, r), TopK.FLOAT32_DISTANCE_TOLERANCE, "query " + q + " rank " + r);
      }
      assertEquals(want[k - 1], Knn.kthDistances(KnnBank.of(bank, m, D), queries, n, k)[q],
          TopK.FLOAT32_DISTANCE_TOLERANCE);
    }
  }

  @Test
  void mergedShardsEqualTheWholeBankInAnyOrder() {
    int m = 40;
    int n = 9;
    int k = 8;
    double[] bank = features(m, 3);
    double[] queries = features(n, 4);
    TopK whole = TopK.of(KnnBank.of(bank, m, D), queries, n, k);
    // Shards of 5 (fewer than k), 20 and 15 rows.
    TopK a = TopK.of(KnnBank.of(Arrays.copyOfRange(bank, 0, 5 * D), 5, D), queries, n, k);
    TopK b = TopK.of(KnnBank.of(Arrays.copyOfRange(bank, 5 * D, 25 * D), 20, D), queries, n, k);
    TopK c = TopK.of(KnnBank.of(Arrays.copyOfRange(bank, 25 * D, 40 * D), 15, D), queries, n, k);
    TopK left = a.merge(b).merge(c);
    TopK right = c.merge(b.merge(a));
    for (int q = 0; q < n; q++) {
      for (int r = 0; r < k; r++) {
        assertEquals(whole.distance(q, r), left.distance(q, r), 1e-12);
        assertEquals(whole.distance(q, r), right.distance(q, r), 1e-12);
      }
    }
    assertEquals(Double.POSITIVE_INFINITY, a.kthDistances()[0]);
  }

  @Test
  void scoreIsMinusKthDistanceAndNormalizationIgnoresScale() {
    int m = 12;
    double[] bank = features(m, 5);
    double[] query = features(1, 6);
    double[] scaled = query.clone();
    for (int j = 0; j < D; j++) {
      scaled[j] *= 40;
    }
    OodMethod knn = OodMethods.create("knn", new LinearHead(1, D, new double[D], new double[1]), null,
        MethodOptions.defaults().withKnnBank(KnnBank.of(bank, m, D)).with(io.opnp.methods.Param.KNN_K, 3));
    double[] out = new double[2];
    knn.score(concat(query, scaled), 2, out);
    double want = -bruteForce(bank, m, query, 0)[2];
    assertEquals(want, out[0], TopK.FLOAT32_DISTANCE_TOLERANCE);
    assertEquals(out[0], out[1], TopK.FLOAT32_DISTANCE_TOLERANCE);  // equal up to the normalizer's 1e-10 and rounding
  }

  @Test
  void aSampledBankScalesKByItsSamplingRatioAsTheKnnPaperDoes() {
    int m = 40;
    double[] bank = features(m, 11);
    KnnBank sample = KnnBank.sampled(bank, m, D, 400);  // α = 10 %
    assertEquals(0.1, sample.fraction(), 1e-15);
    assertEquals(5, sample.scaledK(50));
    assertEquals(1, sample.scaledK(3), "at least one neighbour");
    assertEquals(50, KnnBank.of(bank, m, D).scaledK(50), "the whole training set: k as given");
    double[] query = features(1, 12);
    OodMethod knn = OodMethods.create("knn", new LinearHead(1, D, new double[D], new double[1]), null,
        MethodOptions.defaults().withKnnBank(sample).with(io.opnp.methods.Param.KNN_K, 50));
    double[] out = new double[1];
    knn.score(query, 1, out);
    assertEquals(-bruteForce(bank, m, query, 0)[4], out[0], TopK.FLOAT32_DISTANCE_TOLERANCE,
        "the 5th nearest of the sample");
  }

  @Test
  void bankSmallerThanKIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OodMethods.create("knn", new LinearHead(1, D, new double[D], new double[1]), null,
            MethodOptions.defaults().withKnnBank(KnnBank.of(features(3, 7), 3, D))));
    assertEquals("knn with k=50 needs at least 50 bank rows, got 3", e.getMessage());
  }

  @Test
  void mergeRejectsDifferentK() {
    KnnBank bank = KnnBank.of(features(4, 8), 4, D);
    double[] q = features(1, 9);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TopK.of(bank, q, 1, 2).merge(TopK.of(bank, q, 1, 3)));
    assertEquals("cannot merge top-k of 1 queries, k=3 into 1 queries, k=2", e.getMessage());
  }

  private static double[] concat(double[] a, double[] b) {
    double[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void knnMethodsSharingABankScoreInOnePassExactlyAsEachAlone() {
    double[] train = features(3000, 1);  // more than one bank block of 2048 rows
    double[] queries = features(300, 2);
    KnnBank bank = KnnBank.of(train, 3000, D);
    LinearHead head = new LinearHead(2, D, features(2, 3), new double[2]);
    MethodOptions o = MethodOptions.defaults().withKnnBank(bank);
    java.util.List<OodMethod> ms = new java.util.ArrayList<>();
    for (int k : new int[] {10, 1, 200, 50}) {
      ms.add(OodMethods.create(io.opnp.methods.Method.KNN.key(), head, null, o.with(io.opnp.methods.Param.KNN_K, k)));
    }
    ms.add(OodMethods.create(io.opnp.methods.Method.ENERGY.key(), head, null, o));
    double[][] together = new double[ms.size()][300];
    OodMethods.scoreAll(ms, queries, 300, together);
    for (int m = 0; m < ms.size(); m++) {
      double[] alone = new double[300];
      ms.get(m).score(queries, 300, alone);
      org.junit.jupiter.api.Assertions.assertArrayEquals(alone, together[m], "method " + m);
    }
    double[] d = bruteForce(train, 3000, queries, 7);
    assertEquals(-d[199], together[2][7], TopK.FLOAT32_DISTANCE_TOLERANCE);  // k = 200 against brute force
  }

  @Test
  void float32DistancesStayWithinTheStatedToleranceOfFloat64AtImageNetsWidth() {
    int d = 2048;
    int m = 300;
    int n = 20;
    java.util.Random r = new java.util.Random(2048);
    double[] bank = new double[m * d];
    double[] q = new double[n * d];
    for (int i = 0; i < bank.length; i++) {
      bank[i] = Math.max(0, r.nextGaussian() + 0.2);  // ReLU features: neighbours close, distances small
    }
    for (int i = 0; i < q.length; i++) {
      q[i] = Math.max(0, r.nextGaussian() + 0.2);
    }
    double[] zb = KnnBank.normalize(bank, m, d);
    double[] zq = KnnBank.normalize(q, n, d);
    TopK top = TopK.of(KnnBank.of(bank, m, d), q, n, m);
    double worst = 0;
    for (int a = 0; a < n; a++) {
      double[] exact = new double[m];
      for (int b = 0; b < m; b++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
          double v = zq[a * d + j] - zb[b * d + j];
          s += v * v;
        }
        exact[b] = Math.sqrt(s);
      }
      Arrays.sort(exact);
      for (int rank = 0; rank < m; rank++) {
        worst = Math.max(worst, Math.abs(exact[rank] - top.distance(a, rank)));
      }
    }
    assertTrue(worst < TopK.FLOAT32_DISTANCE_TOLERANCE, "largest deviation " + worst);
  }
}
