package io.opnp.math;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The averaged sensitivities of a model's energy score over m training samples: {@code Mw} (C×D,
 * one per last-layer weight) and {@code Mo} (D, one per pre-logit neuron). Immutable.
 */
public final class Sensitivity implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int classes;
  private final int dim;
  private final long count;
  private final double temperature;
  private final double[] weight;
  private final double[] neuron;
  private final String modelName;
  private final String modelSha256;

  public Sensitivity(int classes, int dim, long count, double temperature, double[] weight,
                     double[] neuron, String modelName, String modelSha256) {
    this.classes = Check.positive(classes, "classes");
    this.dim = Check.positive(dim, "dim");
    Check.argument(count > 0, "sample count must be positive, got %s", count);
    this.count = count;
    this.temperature = Check.finitePositive(temperature, "temperature");
    Check.length(weight, (long) classes * dim, "weight sensitivity");
    Check.length(neuron, dim, "neuron sensitivity");
    this.weight = weight.clone();
    this.neuron = neuron.clone();
    this.modelName = modelName;
    this.modelSha256 = modelSha256;
  }

  public int classes() {
    return classes;
  }

  public int dim() {
    return dim;
  }

  /** m, the number of training samples averaged over. */
  public long count() {
    return count;
  }

  public double temperature() {
    return temperature;
  }

  /** Mw as a copy, C×D row-major. */
  public double[] weight() {
    return weight.clone();
  }

  public double weight(int i, int j) {
    return weight[i * dim + j];
  }

  /** Mo as a copy. */
  public double[] neuron() {
    return neuron.clone();
  }

  public double neuron(int j) {
    return neuron[j];
  }

  public String modelName() {
    return modelName;
  }

  public String modelSha256() {
    return modelSha256;
  }

  /** Largest relative difference between two sensitivities' values, for determinism checks. */
  public double maxRelativeDifference(Sensitivity other) {
    Check.argument(other.classes == classes && other.dim == dim, "shapes differ: %sx%s vs %sx%s",
        classes, dim, other.classes, other.dim);
    double worst = 0;
    for (int i = 0; i < weight.length; i++) {
      worst = Math.max(worst, relative(weight[i], other.weight[i]));
    }
    for (int j = 0; j < dim; j++) {
      worst = Math.max(worst, relative(neuron[j], other.neuron[j]));
    }
    return worst;
  }

  private static double relative(double a, double b) {
    double scale = Math.max(Math.abs(a), Math.abs(b));
    return scale == 0 ? 0 : Math.abs(a - b) / scale;
  }

  @Override
  public String toString() {
    return "Sensitivity{C=" + classes + ", D=" + dim + ", m=" + count + ", T=" + temperature
        + ", model=" + modelName + ", Mo[0..3]=" + Arrays.toString(Arrays.copyOf(neuron, Math.min(3, dim))) + "}";
  }
}
