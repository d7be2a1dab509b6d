package io.opnp.spark;

import io.opnp.math.Energy;
import io.opnp.math.LinearHead;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;

/**
 * A partition's images scored lazily, one batch at a time, by the original head (Energy) and the
 * OPNP-pruned head, both applied to the same features in float64. Unreadable images skipped under
 * {@code --on-bad-image=skip} come out with null scores and a status. The predictor closes when the
 * task completes (or, outside a task, when the rows run out).
 */
final class ScoringIterator<T> implements Iterator<T> {
  /** One image's scores; scores are null for a skipped image. */
  record Scored(Row row, String id, String dataset, Long label, Integer pred, Double energy, Integer opnpPred,
                Double opnp, String status) {}

  private final InferenceConfig cfg;
  private final ScoringHeads heads;
  private final String labelledDataset;
  private final Iterator<Row> rows;
  private final Function<Scored, T> maker;
  private final BatchRunner runner;
  private final TaskContext tc;
  private final List<T> ready = new ArrayList<>();
  private int next;
  private boolean done;
  private double[] feats = new double[0];
  private double[] logits = new double[0];
  private double[] pruned = new double[0];

  /**
   * @param labelledDataset rows of this dataset must carry labels in [0, C) (the ID test set); null for none
   */
  ScoringIterator(InferenceConfig cfg, RowLayout layout, ScoringHeads heads, String labelledDataset,
                  Iterator<Row> rows, Function<Scored, T> maker) {
    this.cfg = cfg;
    this.heads = heads;
    this.labelledDataset = labelledDataset;
    this.rows = rows;
    this.maker = maker;
    this.runner = new BatchRunner(cfg, layout);
    this.tc = TaskContext.get();
    if (tc != null) {
      tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> runner.close());
    }
  }

  @Override
  public boolean hasNext() {
    while (next >= ready.size() && !done) {
      fill();
    }
    return next < ready.size();
  }

  @Override
  public T next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.get(next++);
  }

  private void fill() {
    ready.clear();
    next = 0;
    BatchRunner.Batch b = runner.next(rows);
    if (b == null) {
      done = true;
      if (tc == null) {
        runner.close();
      }
      return;
    }
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
