package io.opnp;

/**
 * A problem with what the user gave the job (a file, a column, a model, a setting), as opposed to
 * a bug. Its message says what was wrong, where, and what to do; the CLI exits with code 2.
 */
public class BadInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BadInputException(String message) {
    super(message);
  }

  public BadInputException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The first BadInputException in a cause chain (Spark wraps executor failures), or null. */
  public static BadInputException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof BadInputException b) {
        return b;
      }
      if (c instanceof IllegalArgumentException && c.getCause() == null && isOurs(c)) {
        return new BadInputException(c.getMessage(), c);
      }
      if (isCorruptInput(c)) {
        Throwable deepest = c;  // Spark repeats the cause's text in its own message; name the cause itself
        for (Throwable d = c.getCause(); d != null && d != d.getCause(); d = d.getCause()) {
          if (isCorruptInput(d)) {
            deepest = d;
          }
        }
        String m = String.valueOf(deepest.getMessage());
        int nl = m.indexOf('\n');
        return new BadInputException("an input file is corrupt or truncated (" + (nl > 0 ? m.substring(0, nl) : m)
            + "); restore it from its source or remove it", deepest);
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  /** Failures of reading input files that Spark reports from its executors (checksums, Parquet footers). */
  private static boolean isCorruptInput(Throwable t) {
    return io.opnp.spark.ReadFailures.isCorruptFile(t);
  }

  private static boolean isOurs(Throwable t) {
    StackTraceElement[] trace = t.getStackTrace();
    return trace.length > 0 && trace[0].getClassName().startsWith("io.opnp.");
  }
}
