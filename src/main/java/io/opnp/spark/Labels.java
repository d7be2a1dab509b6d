package io.opnp.spark;

import io.opnp.BadInputException;

/** Label checks for in-distribution data, whose labels must index the model's classes. */
final class Labels {
  private Labels() {}

  /** Checks every label of a batch; a missing label is an error only when labels are required. */
  static void check(BatchRunner.Batch b, int classes, boolean required) {
    for (int k = 0; k < b.count(); k++) {
      check(b.datasets()[k], b.ids()[k], b.labels()[k], classes, required);
    }
  }

  static void check(String dataset, String id, Long label, int classes, boolean required) {
    if (label == null) {
      if (required) {
        throw new BadInputException(String.format(
            "dataset %s, image %s has no label; the in-distribution test set needs labels for the accuracy "
                + "(an IDX labels file, a 'label' column in Parquet, or one sub-folder per class)", dataset, id));
      }
      return;
    }
    if (label < 0 || label >= classes) {
      throw new BadInputException(String.format(
          "dataset %s, image %s: label %s is outside the model's %d classes [0, %d); in-distribution data "
              + "needs integer labels that index the model's outputs (check the labels file or column)",
          dataset, id, label, classes, classes));
    }
  }
}
