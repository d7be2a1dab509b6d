package io.opnp.math;

/** Fail-fast argument checks whose messages name the offending value. */
public final class Check {
  private Check() {}

  public static void argument(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(format, args));
    }
  }

  public static int positive(int value, String name) {
    argument(value > 0, "%s must be positive, got %s", name, value);
    return value;
  }

  public static double finitePositive(double value, String name) {
    argument(Double.isFinite(value) && value > 0, "%s must be a finite positive number, got %s", name, value);
    return value;
  }

  public static void length(double[] array, long expected, String name) {
    argument(array != null && array.length == expected,
        "%s must have %s values, got %s", name, expected, array == null ? "null" : array.length);
  }

  /** Batch buffers may be longer than the batch they hold. */
  public static void capacity(double[] array, long expected, String name) {
    argument(array != null && array.length >= expected,
        "%s must have at least %s values, got %s", name, expected, array == null ? "null" : array.length);
  }

  /** Batch buffers may be longer than the batch they hold. */
  public static void capacity(float[] array, long expected, String name) {
    argument(array != null && array.length >= expected,
        "%s must have at least %s values, got %s", name, expected, array == null ? "null" : array.length);
  }
}
