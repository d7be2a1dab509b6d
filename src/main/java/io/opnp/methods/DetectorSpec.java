package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.PruningPercentages;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One detector configuration: a method of {@link OodMethods} and the hyper-parameters it was chosen
 * with. The same spec builds the scorer in {@code evaluate} and when a saved detector is loaded, so
 * both score alike. Fields a method does not use keep their defaults and are not shown.
 *
 * @param reactPercentile percentile (0–100) of ID training activations where ReAct clips (react, opnp_react)
 * @param plan OPNP's four percentages (opnp, opnp_react, opnp_ash); null otherwise
 */
public record DetectorSpec(String method, double reactPercentile, double diceSparsity, double ashPercentile, int knnK,
                           PruningPercentages plan) implements Serializable {
  public DetectorSpec {
    Check.argument(method != null && OodMethods.NAMES.contains(method), "unknown OOD method %s; known: %s", method,
        OodMethods.NAMES);
    Check.argument(!usesPlan(method) || plan != null, "method %s needs an OPNP plan", method);
  }

  /** The method with the papers' defaults. */
  public static DetectorSpec of(String method) {
    return new DetectorSpec(method, 90, 90, 90, Knn.DEFAULT_K, usesPlan(method) ? PruningPercentages.NONE : null);
  }

  public DetectorSpec withReactPercentile(double p) {
    return new DetectorSpec(method, p, diceSparsity, ashPercentile, knnK, plan);
  }

  public DetectorSpec withDiceSparsity(double p) {
    return new DetectorSpec(method, reactPercentile, p, ashPercentile, knnK, plan);
  }

  public DetectorSpec withAshPercentile(double p) {
    return new DetectorSpec(method, reactPercentile, diceSparsity, p, knnK, plan);
  }

  public DetectorSpec withKnnK(int k) {
    return new DetectorSpec(method, reactPercentile, diceSparsity, ashPercentile, k, plan);
  }

  public DetectorSpec withPlan(PruningPercentages p) {
    return new DetectorSpec(method, reactPercentile, diceSparsity, ashPercentile, knnK, p);
  }

  public static boolean usesPlan(String method) {
    return method.startsWith("opnp");
  }

  public static boolean usesReact(String method) {
    return method.equals(OodMethods.REACT) || method.equals(OodMethods.OPNP_REACT);
  }

  public static boolean usesAsh(String method) {
    return method.startsWith("ash_") || method.equals(OodMethods.OPNP_ASH);
  }

  /** The hyper-parameters this method uses, by name (for reports and the saved detector). */
  public Map<String, Object> parameters() {
    Map<String, Object> p = new LinkedHashMap<>();
    if (usesReact(method)) {
      p.put("react_percentile", reactPercentile);
    }
    if (method.equals(OodMethods.DICE)) {
      p.put("dice_sparsity", diceSparsity);
    }
    if (usesAsh(method)) {
      p.put("ash_percentile", ashPercentile);
    }
    if (method.equals(OodMethods.KNN)) {
      p.put("knn_k", knnK);
    }
    if (plan != null) {
      p.put("rho_w_max", plan.rhoWMax());
      p.put("rho_w_min", plan.rhoWMin());
      p.put("rho_o_max", plan.rhoOMax());
      p.put("rho_o_min", plan.rhoOMin());
    }
    return p;
  }

  /** A short human-readable text of the hyper-parameters, e.g. "p=95" or "k=50"; "" for none. */
  public String setting() {
    StringBuilder sb = new StringBuilder();
    if (plan != null) {
      sb.append(planText(plan));
    }
    if (usesReact(method)) {
      sb.append(sb.isEmpty() ? "" : ", ").append("clip p=").append(num(reactPercentile));
    }
    if (method.equals(OodMethods.DICE)) {
      sb.append("p=").append(num(diceSparsity));
    }
    if (usesAsh(method)) {
      sb.append(sb.isEmpty() ? "" : ", ").append("ash p=").append(num(ashPercentile));
    }
    if (method.equals(OodMethods.KNN)) {
      sb.append("k=").append(knnK);
    }
    return sb.toString();
  }

  public String label() {
    String s = setting();
    return s.isEmpty() ? method : method + "(" + s + ")";
  }

  /**
   * The options that build this detector from {@code base} (which carries the fitted inputs: stats,
   * ViM, bank, temperature) given the ReAct clip value at {@link #reactPercentile} and the pruned head
   * of {@link #plan} (either may be null when the method does not use it).
   */
  public MethodOptions options(MethodOptions base, double reactThreshold, io.opnp.math.LinearHead prunedHead) {
    MethodOptions o = base.withDiceSparsity(diceSparsity).withAshPercentile(ashPercentile).withKnnK(knnK);
    if (usesReact(method)) {
      o = o.withReactThreshold(reactThreshold);
    }
    if (usesPlan(method)) {
      o = o.withPrunedHead(prunedHead);
    }
    return o;
  }

  /** The plan in short, its non-zero percentages only: "wmax=1 omin=10"; "unpruned" for none. */
  public static String planText(PruningPercentages p) {
    StringBuilder sb = new StringBuilder();
    String[] names = {"wmax", "wmin", "omax", "omin"};
    double[] v = {p.rhoWMax(), p.rhoWMin(), p.rhoOMax(), p.rhoOMin()};
    for (int i = 0; i < 4; i++) {
      if (v[i] != 0) {
        sb.append(sb.isEmpty() ? "" : " ").append(names[i]).append('=').append(num(v[i]));
      }
    }
    return sb.isEmpty() ? "unpruned" : sb.toString();
  }

  private static String num(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%s", v);
  }
}
