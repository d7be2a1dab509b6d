package io.opnp.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;

/**
 * A partition's images through the model lazily, one batch at a time, so memory stays bounded by
 * the batch: subclasses turn each batch (and its skipped images) into output items. The predictor
 * closes when the task completes, or, outside a task, when the rows run out.
 */
abstract class ModelBatches<T> implements Iterator<T> {
  private final Iterator<Row> rows;
  private final BatchRunner runner;
  private final TaskContext tc;
  private final List<T> ready = new ArrayList<>();
  private int next;
  private boolean done;

  ModelBatches(InferenceConfig cfg, RowLayout layout, Iterator<Row> rows) {
    this.rows = rows;
    this.runner = new BatchRunner(cfg, layout);
    this.tc = TaskContext.get();
    if (tc != null) {
      tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> runner.close());
    }
  }

  /** Adds the items of one batch (skipped images included) to {@code out}. */
  abstract void emit(BatchRunner.Batch batch, List<T> out);

  /** Called once, when the partition's rows have all gone through the model. */
  void finished() {}

  @Override
  public final boolean hasNext() {
    while (next >= ready.size() && !done) {
      ready.clear();
      next = 0;
      BatchRunner.Batch b = runner.next(rows);
      if (b == null) {
        done = true;
        finished();
        if (tc == null) {
          runner.close();
        }
      } else {
        emit(b, ready);
      }
    }
    return next < ready.size();
  }

  @Override
  public final T next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.get(next++);
  }
}
