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
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  private static boolean isOurs(Throwable t) {
    StackTraceElement[] trace = t.getStackTrace();
    return trace.length > 0 && trace[0].getClassName().startsWith("io.opnp.");
  }
}
