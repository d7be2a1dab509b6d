package io.opnp.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opnp.cli.OpnpCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the command line in this JVM and keeps its exit code, summary output and error messages. */
public record CliRun(int code, String out, String err) {

  public static CliRun of(String... args) {
    StringWriter err = new StringWriter();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int code;
    try {
      System.setOut(new PrintStream(out, true));
      code = OpnpCli.run(new PrintWriter(err, true), args);
    } finally {
      System.setOut(old);
    }
    return new CliRun(code, out.toString(), err.toString());
  }

  /** Exit code 2 with a "bad input" message that contains {@code fragment}; the message is logged for the report. */
  public void assertBadInput(String fragment) {
    System.out.println("exit " + code + ": " + err.lines().findFirst().orElse(""));
    assertEquals(2, code, err);
    assertTrue(err.contains("bad input: "), err);
    assertTrue(err.contains(fragment), "expected '" + fragment + "' in:\n" + err);
  }
}
