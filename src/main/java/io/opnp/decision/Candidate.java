package io.opnp.decision;

import io.opnp.math.Check;
import java.util.Arrays;
import java.util.Objects;

/**
 * One detector configuration and how it did on each validation OOD proxy, in proxy order.
 *
 * @param method the method name, e.g. "energy", "react", "opnp"
 * @param setting its hyperparameters as text, e.g. "p=95", or "" when it has none
 */
public record Candidate(String method, String setting, double[] aurocs, double[] fpr95s) {
  public Candidate {
    Check.argument(method != null && !method.isBlank(), "a candidate needs a method name, got '%s'", method);
    setting = setting == null ? "" : setting;
    Check.argument(aurocs != null && aurocs.length > 0, "candidate %s has no AUROCs", method);
    Check.argument(fpr95s != null && fpr95s.length == aurocs.length,
        "candidate %s has %s AUROCs but %s FPR95s", method, aurocs.length, fpr95s == null ? 0 : fpr95s.length);
    aurocs = checkedCopy(aurocs, method, "AUROC");
    fpr95s = checkedCopy(fpr95s, method, "FPR95");
  }

  /** The method, with its setting in parentheses when there is one: "opnp(p=95)". */
  public String label() {
    return setting.isEmpty() ? method : method + "(" + setting + ")";
  }

  @Override
  public double[] aurocs() {
    return aurocs.clone();
  }

  @Override
  public double[] fpr95s() {
    return fpr95s.clone();
  }

  double auroc(int proxy) {
    return aurocs[proxy];
  }

  double fpr95(int proxy) {
    return fpr95s[proxy];
  }

  int proxies() {
    return aurocs.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Candidate c && method.equals(c.method) && setting.equals(c.setting)
        && Arrays.equals(aurocs, c.aurocs) && Arrays.equals(fpr95s, c.fpr95s);
  }

  @Override
  public int hashCode() {
    return Objects.hash(method, setting, Arrays.hashCode(aurocs), Arrays.hashCode(fpr95s));
  }

  @Override
  public String toString() {
    return label() + " AUROC " + Arrays.toString(aurocs) + " FPR95 " + Arrays.toString(fpr95s);
  }

  private static double[] checkedCopy(double[] values, String method, String metric) {
    for (int i = 0; i < values.length; i++) {
      Check.argument(values[i] >= 0 && values[i] <= 1,
          "%s of candidate %s on proxy %s must be in [0, 1], got %s", metric, method, i, values[i]);
    }
    return values.clone();
  }
}
