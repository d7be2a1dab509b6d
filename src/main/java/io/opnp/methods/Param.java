package io.opnp.methods;

import io.opnp.math.Check;
import java.util.Locale;

/**
 * A hyper-parameter of the methods in {@link Method}: its key in reports and saved detectors, its
 * short label, the paper's default and the small grid the validation selection tries.
 */
public enum Param {
  /** ReAct: percentile (0–100) of the ID training activations where features are clipped. */
  REACT_PERCENTILE("react_percentile", "clip p", Kind.PERCENT, 90, 80, 85, 90, 95, 99),
  /** DICE: sparsity p (0–100); the top (100 − p) % of weight·mean contributions are kept. */
  DICE_SPARSITY("dice_sparsity", "p", Kind.PERCENT, 90, 50, 70, 90),
  /** ASH: percentile p (0–100); the top (100 − p) % of each sample's activations are kept. */
  ASH_PERCENTILE("ash_percentile", "ash p", Kind.PERCENT, 90, 60, 70, 80, 90),
  /** KNN: neighbours k (meant for the whole training set; a sampled bank scales it). */
  KNN_K("knn_k", "k", Kind.COUNT, Knn.DEFAULT_K, 10, Knn.DEFAULT_K, 200),
  /** SCALE: percentile p (0–100); the top (100 − p) % of activations set the scale (OpenOOD's grid 65–95). */
  SCALE_PERCENTILE("scale_percentile", "scale p", Kind.PERCENT, 85, 65, 75, 85, 95),
  /** GEN: exponent γ of the generalized entropy (OpenOOD's grid 0.01–10). */
  GEN_GAMMA("gen_gamma", "γ", Kind.POSITIVE, 0.1, 0.01, 0.1, 0.5, 1),
  /** GEN: how many of the largest probabilities enter (all C when larger). */
  GEN_M("gen_m", "M", Kind.COUNT, 100, 10, 100, 1000),
  /** NCI: weight α of the feature's L1 norm (OpenOOD's grid). */
  NCI_ALPHA("nci_alpha", "α", Kind.POSITIVE, 1e-4, 1e-4, 1e-3, 1e-2, 0.1),
  /** NNGuide: how many of the most similar guides are averaged (at most the bank's size). */
  NNGUIDE_K("nnguide_k", "K", Kind.COUNT, 100, 10, 100);

  /** What values a parameter takes. */
  enum Kind { PERCENT, COUNT, POSITIVE }

  private final String key;
  private final String label;
  private final Kind kind;
  private final double defaultValue;
  private final double[] grid;

  Param(String key, String label, Kind kind, double defaultValue, double... grid) {
    this.key = key;
    this.label = label;
    this.kind = kind;
    this.defaultValue = defaultValue;
    this.grid = grid;
  }

  /** The key in reports and {@code detector.json}, e.g. {@code react_percentile}. */
  public String key() {
    return key;
  }

  public double defaultValue() {
    return defaultValue;
  }

  /** The values the validation selection tries (a copy). */
  public double[] grid() {
    return grid.clone();
  }

  /** {@code value}, checked for this parameter; fails naming the parameter and the value. */
  public double check(double value) {
    switch (kind) {
      case PERCENT -> Check.argument(value >= 0 && value <= 100, "%s must be in [0, 100], got %s", key, value);
      case COUNT -> Check.argument(value >= 1 && value == Math.rint(value) && value <= Integer.MAX_VALUE,
          "%s must be a positive whole number, got %s", key, value);
      case POSITIVE -> Check.argument(Double.isFinite(value) && value > 0, "%s must be finite and > 0, got %s", key,
          value);
      default -> throw new IllegalStateException(kind.toString());
    }
    return value;
  }

  /** The value as saved: whole numbers of a count as integers. */
  Object json(double value) {
    return kind == Kind.COUNT ? (Object) (int) value : (Object) value;
  }

  /** "clip p=95", "k=50". */
  String text(double value) {
    return label + "=" + (value == Math.rint(value) ? String.valueOf((long) value)
        : String.format(Locale.ROOT, "%s", value));
  }
}
