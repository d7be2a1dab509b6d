package io.opnp.math;

import java.util.Arrays;

/**
 * The sensitivities of one model ranked once, so that the masks of any number of pruning plans cost
 * O(n) each instead of a sort each (a 300-plan sweep at 2048 features × 1000 classes used to sort
 * 2,048,000 boxed indices per plan). Ranking is ascending by value, {@link Double#compare} order
 * (so −0.0 before 0.0), ties broken by flat index: exactly the stable sort {@link PruningPlan}
 * documents. Immutable.
 */
public final class SensitivityOrder {
  private final int classes;
  private final int dim;
  private final int[] weightOrder;  // flat weight indices, ascending sensitivity
  private final int[] neuronOrder;  // neuron indices, ascending sensitivity

  private SensitivityOrder(int classes, int dim, int[] weightOrder, int[] neuronOrder) {
    this.classes = classes;
    this.dim = dim;
    this.weightOrder = weightOrder;
    this.neuronOrder = neuronOrder;
  }

  public static SensitivityOrder of(Sensitivity s) {
    return new SensitivityOrder(s.classes(), s.dim(), ascending(s.weight()), ascending(s.neuron()));
  }

  public int classes() {
    return classes;
  }

  public int dim() {
    return dim;
  }

  /** Weight mask, false for the last {@code top} and the first {@code bottom} ranked weights. */
  boolean[] weightMask(int top, int bottom) {
    return keepMask(weightOrder, top, bottom);
  }

  /** rank[i]: the position of weight i (flat index) in ascending sensitivity order. */
  int[] weightRanks() {
    return ranks(weightOrder);
  }

  /** rank[j]: the position of neuron j in ascending sensitivity order. */
  int[] neuronRanks() {
    return ranks(neuronOrder);
  }

  private static int[] ranks(int[] order) {
    int[] rank = new int[order.length];
    for (int r = 0; r < order.length; r++) {
      rank[order[r]] = r;
    }
    return rank;
  }

  /** Neuron mask, likewise. */
  boolean[] neuronMask(int top, int bottom) {
    return keepMask(neuronOrder, top, bottom);
  }

  /**
   * Indices of {@code values} in ascending order, ties by index, without boxing: each value's rank
   * among the distinct values goes in the high half of a long and its index in the low half, so one
   * primitive sort of longs is the stable sort.
   */
  static int[] ascending(double[] values) {
    int n = values.length;
    for (int i = 0; i < n; i++) {
      Check.argument(Double.isFinite(values[i]), "sensitivity value %s at flat index %s is not finite", values[i], i);
    }
    double[] distinct = values.clone();
    Arrays.sort(distinct);  // Double.compare order, as the boxed comparator
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (m == 0 || Double.compare(distinct[i], distinct[m - 1]) != 0) {  // not ==: keeps −0.0 and 0.0 apart
        distinct[m++] = distinct[i];
      }
    }
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      long rank = Arrays.binarySearch(distinct, 0, m, values[i]);
      keys[i] = rank << 32 | i;
    }
    Arrays.sort(keys);
    int[] order = new int[n];
    for (int r = 0; r < n; r++) {
      order[r] = (int) keys[r];
    }
    return order;
  }

  static boolean[] keepMask(int[] order, int top, int bottom) {
    int n = order.length;
    boolean[] keep = new boolean[n];
    Arrays.fill(keep, true);
    for (int r = 0; r < bottom; r++) {
      keep[order[r]] = false;
    }
    for (int r = n - top; r < n; r++) {
      keep[order[r]] = false;
    }
    return keep;
  }
}
