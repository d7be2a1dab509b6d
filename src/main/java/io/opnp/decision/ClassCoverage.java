package io.opnp.decision;

import io.opnp.math.Check;

/**
 * How many of the classifier's classes the training rows hold. A detector fitted class by class (the distance family:
 * class means, a bank of training features, the subspace they span) calls images of the missing classes
 * out-of-distribution, although the classifier was made for them: measured on EfficientNet-Lite0 fitted on 10 of
 * ImageNet's 1,000 classes, ViM and MDS++ ranked scene photographs as more in-distribution than ImageNet's own
 * validation photographs (BENCHMARKS.md, "Choosing the detector on real models").
 *
 * @param covered the classes with at least one training row
 * @param classes the classifier's classes
 * @param minShare the share of classes below which class-fitted detectors are not recommended (0 turns that off)
 */
public record ClassCoverage(int covered, int classes, double minShare) {
  /** The default {@link #minShare}: at least half of the classes. */
  public static final double DEFAULT_MIN_SHARE = 0.5;

  public ClassCoverage {
    Check.argument(classes > 0, "a classifier has at least one class, got %s", classes);
    Check.argument(covered >= 0 && covered <= classes, "%s covered classes out of %s", covered, classes);
    Check.argument(minShare >= 0 && minShare <= 1, "the minimum class coverage is a share in [0, 1], got %s",
        minShare);
  }

  /** The coverage of training rows counted by class ({@code counts[c]} rows of class c). */
  public static ClassCoverage of(long[] counts, double minShare) {
    Check.argument(counts != null && counts.length > 0, "class counts are missing");
    int covered = 0;
    for (long n : counts) {
      covered += n > 0 ? 1 : 0;
    }
    return new ClassCoverage(covered, counts.length, minShare);
  }

  /** The share of the classifier's classes that the training rows hold. */
  public double share() {
    return (double) covered / classes;
  }

  /** Whether class-fitted detectors may be recommended. */
  public boolean allowsClassFits() {
    return share() >= minShare;
  }
}
