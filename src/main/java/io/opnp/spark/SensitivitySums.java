package io.opnp.spark;

import io.opnp.math.SensitivityAccumulator;
import org.apache.spark.util.AccumulatorV2;

/**
 * A Spark accumulator of {@link SensitivityAccumulator}s, so that a job whose output is something
 * else (the feature cache) can compute the sensitivity sums in the same pass. Updated once per
 * task at the end of its partition; Spark applies a result-stage task's update exactly once, even
 * when the task was retried or speculated.
 */
public final class SensitivitySums extends AccumulatorV2<SensitivityAccumulator, SensitivityAccumulator> {
  private static final long serialVersionUID = 1L;
  private SensitivityAccumulator sums;

  @Override
  public boolean isZero() {
    return sums == null;
  }

  @Override
  public AccumulatorV2<SensitivityAccumulator, SensitivityAccumulator> copy() {
    SensitivitySums c = new SensitivitySums();
    if (sums != null) {
      c.sums = new SensitivityAccumulator(sums.classes(), sums.dim(), sums.temperature()).merge(sums);
    }
    return c;
  }

  @Override
  public void reset() {
    sums = null;
  }

  @Override
  public void add(SensitivityAccumulator v) {
    if (sums == null) {
      sums = new SensitivityAccumulator(v.classes(), v.dim(), v.temperature());
    }
    sums.merge(v);
  }

  @Override
  public void merge(AccumulatorV2<SensitivityAccumulator, SensitivityAccumulator> other) {
    SensitivityAccumulator o = other.value();
    if (o != null) {
      add(o);
    }
  }

  /** The merged sums, or null when no task has reported yet. */
  @Override
  public SensitivityAccumulator value() {
    return sums;
  }

  @Override
  public String toString() {  // the Spark UI shows this, so never the C×D matrix
    return sums == null ? "no sums" : "sums over " + sums.count() + " images";
  }
}
