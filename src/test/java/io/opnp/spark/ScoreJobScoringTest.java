package io.opnp.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.BadInputException;
import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import io.opnp.math.PruningPercentages;
import io.opnp.math.PruningPlan;
import io.opnp.math.Sensitivity;
import io.opnp.methods.DetectorSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The scores of {@code opnp score} through the method table: the same energy of the original and
 * of the pruned head (logsumexp of float64 logits) and the same predicted classes that the job
 * computed by hand before it went through the methods.
 */
@Tag("spark-lines")  // run on both Spark lines (jobs/test)
class ScoreJobScoringTest {
  private static final int C = 7;
  private static final int D = 12;
  private static final PruningPercentages PLAN = new PruningPercentages(5, 10, 20, 10);

  @Test
  void cachedRowsGetTheEnergyAndPredictionOfBothHeadsAcrossBatchBoundaries() {
    Random r = new Random(18);
    LinearHead head = head(r);
    Sensitivity s = sensitivity(r);
    LinearHead pruned = head.pruned(PruningPlan.of(s, PLAN));
    int n = 2 * ScoringIterator.CACHE_BATCH + 37;  // two full batches and a short one
    List<Row> rows = new ArrayList<>();
    double[][] h = new double[n][D];
    for (int k = 0; k < n; k++) {
      List<Float> f = new ArrayList<>();
      for (int j = 0; j < D; j++) {
        float v = (float) Math.max(0, r.nextGaussian() * 2);
        f.add(v);
        h[k][j] = v;
      }
      rows.add(RowFactory.create("img" + k, k % 3 == 0 ? "id" : "ood", k % 3 == 0 ? (long) (k % C) : null,
          scala.collection.JavaConverters.asScalaBuffer(f).toList()));
    }
    Iterator<Row> out = ScoringIterator.fromCache(ScoreJob.methods(head, s, PLAN, 1.0), "id", rows.iterator(),
        ScoreJob::row);
    double[] logits = new double[C];
    double[] prunedLogits = new double[C];
    double largestGap = 0;
    for (int k = 0; k < n; k++) {
      Row row = out.next();
      assertEquals(ScoreJob.SCORES.size(), row.size());
      assertEquals("img" + k, row.getString(0));
      assertEquals(rows.get(k).get(1), row.getString(1));
      assertEquals(rows.get(k).get(2), row.get(2));
      head.logits(h[k], 1, logits);
      pruned.logits(h[k], 1, prunedLogits);
      double energy = Energy.score(logits, 0, C, 1.0);
      double opnp = Energy.score(prunedLogits, 0, C, 1.0);
      assertEquals(Energy.argmax(logits, 0, C), row.getInt(3), "pred of row " + k);
      assertEquals(energy, row.getDouble(4), 1e-12 * Math.max(1, Math.abs(energy)), "energy of row " + k);
      assertEquals(Energy.argmax(prunedLogits, 0, C), row.getInt(5), "opnp_pred of row " + k);
      assertEquals(opnp, row.getDouble(6), 1e-12 * Math.max(1, Math.abs(opnp)), "opnp of row " + k);
      assertNull(row.get(7));
      largestGap = Math.max(largestGap, Math.abs(energy - opnp));
    }
    assertTrue(!out.hasNext());
    assertTrue(largestGap > 1e-3, "the plan pruned nothing: opnp equals energy");
  }

  @Test
  void anInDistributionRowWithALabelOutsideTheClassesIsNamed() {
    Random r = new Random(3);
    LinearHead head = head(r);
    List<Float> f = new ArrayList<>();
    for (int j = 0; j < D; j++) {
      f.add(1f);
    }
    Row bad = RowFactory.create("cat.png", "id", (long) C, scala.collection.JavaConverters.asScalaBuffer(f).toList());
    Iterator<Row> out = ScoringIterator.fromCache(ScoreJob.methods(head, sensitivity(r), PLAN, 1.0), "id",
        List.of(bad).iterator(), ScoreJob::row);
    BadInputException e = assertThrows(BadInputException.class, out::hasNext);
    assertTrue(e.getMessage().contains("image cat.png: label 7 is outside the model's 7 classes"), e.getMessage());
  }

  @Test
  void aMethodThatNeedsFittedStateBeyondTheSensitivityIsRefusedNamingTheOnesThatCanScore() {
    Random r = new Random(5);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ScoringMethods.of(List.of(DetectorSpec.of("mahalanobis")), head(r), sensitivity(r), 1.0));
    assertTrue(e.getMessage().startsWith("method mahalanobis needs fitted state beyond the head and the sensitivity"),
        e.getMessage());
    assertTrue(e.getMessage().contains("[msp, maxlogit, energy, gen,"), e.getMessage());
  }

  private static LinearHead head(Random r) {
    double[] w = new double[C * D];
    double[] b = new double[C];
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextGaussian();
    }
    for (int i = 0; i < C; i++) {
      b[i] = r.nextGaussian() * 0.1;
    }
    return new LinearHead(C, D, w, b);
  }

  private static Sensitivity sensitivity(Random r) {
    double[] mw = new double[C * D];
    double[] mo = new double[D];
    for (int i = 0; i < mw.length; i++) {
      mw[i] = r.nextDouble();
    }
    for (int i = 0; i < D; i++) {
      mo[i] = r.nextDouble();
    }
    return new Sensitivity(C, D, 10, 1, mw, mo, "m", null);
  }
}
