package io.opnp.spark;

import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Row;

/**
 * A partition's images scored lazily, one batch at a time, by the original head (Energy) and the
 * OPNP-pruned head, both applied to the same features in float64. Unreadable images skipped under
 * {@code --on-bad-image=skip} come out with null scores and a status.
 */
final class ScoringIterator<T> extends ModelBatches<T> {
  /** One image's scores; scores are null for a skipped image. */
  record Scored(Row row, String id, String dataset, Long label, Integer pred, Double energy, Integer opnpPred,
                Double opnp, String status) {}

  private final InferenceConfig cfg;
  private final ScoringHeads heads;
  private final String labelledDataset;
  private final Function<Scored, T> maker;
  private double[] feats = new double[0];
  private double[] logits = new double[0];
  private double[] pruned = new double[0];

  /**
   * @param labelledDataset rows of this dataset must carry labels in [0, C) (the ID test set); null for none
   */
  ScoringIterator(InferenceConfig cfg, RowLayout layout, ScoringHeads heads, String labelledDataset,
                  Iterator<Row> rows, Function<Scored, T> maker) {
    super(cfg, layout, rows);
    this.cfg = cfg;
    this.heads = heads;
    this.labelledDataset = labelledDataset;
    this.maker = maker;
  }

  @Override
  void emit(BatchRunner.Batch b, List<T> ready) {
    for (BatchRunner.Skipped s : b.skipped()) {
      ready.add(maker.apply(new Scored(s.row(), s.id(), s.dataset(), null, null, null, null, null,
          "skipped: " + s.reason())));
    }
    if (b.count() == 0) {
      return;
    }
    LinearHead full = heads.original();
    ModelHeads.checkShape(cfg, full, b);
    int n = b.count();
    int c = full.classes();
    int d = full.dim();
    if (feats.length < n * d) {
      feats = new double[n * d];
      logits = new double[n * c];
      pruned = new double[n * c];
    }
    float[] f = b.output().features();
    for (int i = 0; i < n * d; i++) {
      feats[i] = f[i];
    }
    full.logits(feats, n, logits);
    heads.pruned().logits(feats, n, pruned);
    double t = heads.temperature();
    for (int k = 0; k < n; k++) {
      if (labelledDataset != null && labelledDataset.equals(b.datasets()[k])) {
        Labels.check(b.datasets()[k], b.ids()[k], b.labels()[k], c, true);
      }
      ready.add(maker.apply(new Scored(b.rows()[k], b.ids()[k], b.datasets()[k], b.labels()[k],
          Energy.argmax(logits, k * c, c), Energy.score(logits, k * c, c, t),
          Energy.argmax(pruned, k * c, c), Energy.score(pruned, k * c, c, t), null)));
    }
  }
}
