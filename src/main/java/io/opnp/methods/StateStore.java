package io.opnp.methods;

/**
 * Where a {@link Method.Need}'s fitted state is saved: named numbers and named float64 arrays, under the
 * need's own key. A saved detector implements it (numbers in {@code detector.json}, arrays as raw files
 * beside it); the methods stay free of files and formats.
 */
public final class StateStore {
  private StateStore() {}

  /** Writes one need's state. */
  public interface Out {
    void number(String key, double value);

    void integer(String key, long value);

    /** One array made of {@code parts} one after the other (no concatenated copy is made). */
    void array(String name, double[]... parts);
  }

  /** Reads one need's state; a missing or mis-sized entry fails naming it. */
  public interface In {
    double number(String key);

    long integer(String key);

    /** The array {@code name}, which must hold exactly {@code length} values. */
    double[] array(String name, long length);
  }
}
