package io.opnp.spark;

import io.opnp.BadInputException;

/** Label checks for in-distribution data, whose labels must index the model's classes. */
final class Labels {
  private Labels() {}

  static void check(BatchRunner.Batch b, int classes) {
    for (int k = 0; k < b.output().n(); k++) {
      check(b.datasets()[k], b.ids()[k], b.labels()[k], classes);
    }
  }

  static void check(String dataset, String id, Integer label, int classes) {
    if (label == null || label < 0 || label >= classes) {
      throw new BadInputException(String.format(
          "dataset %s, image %s: label %s is outside the model's %d classes [0, %d); in-distribution data "
              + "needs integer labels that index the model's outputs (check the labels file or column)",
          dataset, id, label, classes, classes));
    }
  }
}
