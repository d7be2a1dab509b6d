package io.opnp.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;
import org.apache.spark.sql.Row;

/**
 * A partition's images scored lazily, one batch at a time, by the built methods of a
 * {@link ScoringMethods} (all of them in one {@link io.opnp.methods.OodMethods#scoreAll} pass on the
 * same float64 features). Unreadable images skipped under {@code --on-bad-image=skip} come out with
 * null scores and a status. {@link #fromCache} scores cached feature rows through the same batch loop.
 */
final class ScoringIterator<T> extends ModelBatches<T> {
  /**
   * One image's predicted classes and scores, one of each per method in the order of
   * {@link ScoringMethods#methods()}; both null for a skipped image.
   */
  record Scored(Row row, String id, String dataset, Long label, int[] preds, double[] scores, String status) {
    Integer pred(int method) {
      return preds == null ? null : preds[method];
    }

    Double score(int method) {
      return scores == null ? null : scores[method];
    }
  }

  /** Rows of a feature cache per batch: the head's product is one BLAS call per batch, not per row. */
  static final int CACHE_BATCH = 512;

  private final InferenceConfig cfg;
  private final ScoringMethods methods;
  private final String labelledDataset;
  private final Function<Scored, T> maker;
  private double[] feats = new double[0];

  /**
   * @param labelledDataset rows of this dataset must carry labels in [0, C) (the ID test set); null for none
   */
  ScoringIterator(InferenceConfig cfg, RowLayout layout, ScoringMethods methods, String labelledDataset,
                  Iterator<Row> rows, Function<Scored, T> maker) {
    super(cfg, layout, rows);
    this.cfg = cfg;
    this.methods = methods;
    this.labelledDataset = labelledDataset;
    this.maker = maker;
  }

  @Override
  void emit(BatchRunner.Batch b, List<T> ready) {
    for (BatchRunner.Skipped s : b.skipped()) {
      ready.add(maker.apply(new Scored(s.row(), s.id(), s.dataset(), null, null, null, "skipped: " + s.reason())));
    }
    if (b.count() == 0) {
      return;
    }
    ModelHeads.checkShape(cfg, methods.head(), b);
    int n = b.count();
    int d = methods.head().dim();
    if (feats.length < n * d) {
      feats = new double[n * d];
    }
    float[] f = b.output().features();
    for (int i = 0; i < n * d; i++) {
      feats[i] = f[i];
    }
    score(methods, labelledDataset, feats, n, b.rows(), b.ids(), b.datasets(), b.labels(), maker, ready);
  }

  /**
   * The one batch loop of images and cached features alike: checks the labelled dataset's labels,
   * scores the n rows of {@code feats} with every method and adds one item per row to {@code out}.
   */
  static <T> void score(ScoringMethods methods, String labelledDataset, double[] feats, int n, Row[] rows,
                        String[] ids, String[] datasets, Long[] labels, Function<Scored, T> maker, List<T> out) {
    int c = methods.head().classes();
    for (int k = 0; k < n; k++) {
      if (labelledDataset != null && labelledDataset.equals(datasets[k])) {
        Labels.check(datasets[k], ids[k], labels[k], c, true);
      }
    }
    ScoringMethods.Scores s = methods.score(feats, n);
    int m = methods.methods().size();
    for (int k = 0; k < n; k++) {
      int[] preds = new int[m];
      double[] scores = new double[m];
      for (int i = 0; i < m; i++) {
        preds[i] = s.preds()[i][k];
        scores[i] = s.scores()[i][k];
      }
      out.add(maker.apply(new Scored(rows[k], ids[k], datasets[k], labels[k], preds, scores, null)));
    }
  }

  /**
   * Cached feature rows (columns id, dataset, label, features) scored lazily, {@link #CACHE_BATCH} at
   * a time, exactly as the images are: the same methods on the same float64 features.
   */
  static <T> Iterator<T> fromCache(ScoringMethods methods, String labelledDataset, Iterator<Row> rows,
                                   Function<Scored, T> maker) {
    int d = methods.head().dim();
    return new Iterator<>() {
      private final double[] feats = new double[CACHE_BATCH * d];
      private final Row[] batch = new Row[CACHE_BATCH];
      private final String[] ids = new String[CACHE_BATCH];
      private final String[] datasets = new String[CACHE_BATCH];
      private final Long[] labels = new Long[CACHE_BATCH];
      private final List<T> ready = new ArrayList<>(CACHE_BATCH);
      private int next;

      @Override
      public boolean hasNext() {
        if (next >= ready.size() && rows.hasNext()) {
          ready.clear();
          next = 0;
          int n = 0;
          while (n < CACHE_BATCH && rows.hasNext()) {
            Row r = rows.next();
            batch[n] = r;
            ids[n] = r.getString(0);
            datasets[n] = r.getString(1);
            labels[n] = r.isNullAt(2) ? null : r.getLong(2);
            FeatureRows.copy(r, 3, d, feats, n * d);
            n++;
          }
          score(methods, labelledDataset, feats, n, batch, ids, datasets, labels, maker, ready);
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
    };
  }
}
