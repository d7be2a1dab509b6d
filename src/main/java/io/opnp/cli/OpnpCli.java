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

  public static void main(String[] args) {
    System.exit(run(args));
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
