package io.opnp;

/**
 * The engine computes wrong numbers on this machine and no mode reachable from inside the process
 * repairs it. Nothing is written; the message names the machine, the deviation and the fix; the
 * CLI exits with code 3.
 */
public class EngineNumericsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EngineNumericsException(String message) {
    super(message);
  }

  /** The first EngineNumericsException in a cause chain (Spark wraps executor failures), or null. */
  public static EngineNumericsException find(Throwable t) {
    int depth = 0;
    for (Throwable c = t; c != null && depth < 64; c = c.getCause(), depth++) {  // bounded: causes can cycle
      if (c instanceof EngineNumericsException e) {
        return e;
      }
    }
    return null;
  }
}
