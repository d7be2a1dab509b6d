package io.opnp.cli;

import io.opnp.BadInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code opnp}: the command line. Exit codes: 0 success, 2 bad input (the message says what to
 * fix), 3 the engine computes wrong numbers on this machine and no safe mode repairs it (the message
 * names the fix; nothing is written), 1 internal failure. Each command prints one summary line at the end.
 */
@Command(name = "opnp", mixinStandardHelpOptions = true, version = "opnp-spark 0.1.0",
    description = "Out-of-distribution detection by Optimal Parameter and Neuron Pruning (OPNP) on Apache Spark.",
    subcommands = {SensitivityCommand.class, ScoreCommand.class, EvaluateCommand.class, PrepareDemoDataCommand.class,
        DoctorCommand.class, DetectCommand.class, MonitorCommand.class})
public final class OpnpCli {
  public static final int EXIT_BAD_INPUT = 2;
  public static final int EXIT_INTERNAL = 1;
  public static final int EXIT_WRONG_NUMERICS = 3;

  /**
   * Exits with the command's code, except where Spark or a platform owns the JVM (spark-submit's
   * cluster deploy mode, Databricks): there {@code System.exit} makes YARN's ApplicationMaster report
   * FAILED and retry, and Databricks forbids it, so a failure is thrown (the application fails with
   * the message) and success returns.
   */
  public static void main(String[] args) {
    int code = run(args);
    if (!sparkOwnsTheJvm(System.getProperties(), System.getenv())) {
      System.exit(code);
    }
    org.apache.spark.sql.SparkSession.getActiveSession().foreach(s -> {
      s.stop();
      return null;
    });
    if (code != 0) {
      throw new ExitStatus(code);
    }
  }

  /** Whether the JVM is Spark's or a platform's (its exit status is the application's, not ours). */
  static boolean sparkOwnsTheJvm(java.util.Properties props, java.util.Map<String, String> env) {
    return "cluster".equals(props.getProperty("spark.submit.deployMode")) || env.containsKey("DATABRICKS_RUNTIME_VERSION");
  }

  /** A non-zero exit code where the JVM may not exit: the application fails, naming the code. */
  public static final class ExitStatus extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int code;

    ExitStatus(int code) {
      super("opnp failed with exit code " + code + " (" + meaning(code) + "; the message above says why)");
      this.code = code;
    }

    public int code() {
      return code;
    }
  }

  static String meaning(int code) {
    return switch (code) {
      case EXIT_BAD_INPUT -> "bad input";
      case EXIT_WRONG_NUMERICS -> "wrong numerics on this machine";
      default -> "internal failure";
    };
  }

  public static int run(String... args) {
    return run(new java.io.PrintWriter(System.err, true), args);
  }

  /** Runs a command, writing errors to {@code err}; returns the exit code instead of exiting. */
  public static int run(java.io.PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new OpnpCli());
    cli.setErr(err);
    // Preset files (@conf/imagenet.args) give defaults; options after them on the command line win.
    cli.setOverwrittenOptionsAllowed(true);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      io.opnp.EngineNumericsException wrong = io.opnp.EngineNumericsException.find(e);
      if (wrong != null) {
        cmd.getErr().println("opnp " + cmd.getCommandName() + ": wrong numerics: " + wrong.getMessage());
        return EXIT_WRONG_NUMERICS;
      }
      BadInputException bad = BadInputException.find(e);
      if (bad != null) {
        cmd.getErr().println("opnp " + cmd.getCommandName() + ": bad input: " + bad.getMessage());
        return EXIT_BAD_INPUT;
      }
      cmd.getErr().println("opnp " + cmd.getCommandName() + ": internal failure: " + e);
      e.printStackTrace(cmd.getErr());
      return EXIT_INTERNAL;
    });
    cli.setParameterExceptionHandler((e, a) -> {
      e.getCommandLine().getErr().println("opnp: " + e.getMessage());
      e.getCommandLine().usage(e.getCommandLine().getErr());
      return EXIT_BAD_INPUT;
    });
    return cli.execute(args);
  }
}
