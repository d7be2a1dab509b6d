package io.opnp.methods;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;
import io.opnp.math.PruningPercentages;
import java.io.Serializable;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * One detector configuration: a {@link Method} and the values of its hyper-parameters (every one
 * of {@link Method#params()}, defaults where not chosen) and, for the OPNP methods, the plan; a
 * {@link Method#FUSION} holds its member configurations instead. The same spec builds the scorer in
 * {@code evaluate} and when a saved detector is loaded ({@link #build}), so both score alike.
 */
public record DetectorSpec(Method method, Map<Param, Double> values, PruningPercentages plan,
                           List<DetectorSpec> members, Fusion.Combination combination) implements Serializable {
  /** A configuration of a method that is not a fusion. */
  public DetectorSpec(Method method, Map<Param, Double> values, PruningPercentages plan) {
    this(method, values, plan, List.of());
  }

  /** A configuration; a fusion's members combine by {@link #COMBINATION}. */
  public DetectorSpec(Method method, Map<Param, Double> values, PruningPercentages plan, List<DetectorSpec> members) {
    this(method, values, plan, members, method == Method.FUSION ? COMBINATION : null);
  }

  /** How the fusions evaluate makes combine their members. */
  public static final Fusion.Combination COMBINATION = Fusion.Combination.HARMONIC;

  public DetectorSpec {
    Check.argument(method != null, "a detector needs a method; known: %s", Method.NAMES);
    EnumMap<Param, Double> all = new EnumMap<>(Param.class);
    for (Param p : method.params()) {
      Double v = values == null ? null : values.get(p);
      all.put(p, p.check(v == null ? p.defaultValue() : v));
    }
    if (values != null) {
      for (Param p : values.keySet()) {
        Check.argument(method.params().contains(p), "method %s has no parameter %s (it has %s)", method.key(), p.key(),
            method.params());
      }
    }
    values = Collections.unmodifiableMap(all);
    Check.argument(!method.usesPlan() || plan != null, "method %s needs an OPNP plan", method.key());
    Check.argument(method.usesPlan() || plan == null, "method %s takes no OPNP plan", method.key());
    members = members == null ? List.of() : List.copyOf(members);
    if (method == Method.FUSION) {
      Check.argument(members.size() >= 2, "a fusion needs at least two member detectors, got %s", members);
      java.util.Set<String> labels = new java.util.HashSet<>();
      java.util.Set<Double> react = new java.util.HashSet<>();
      for (DetectorSpec m : members) {
        Check.argument(m.method() != Method.FUSION, "a fusion cannot hold another fusion: %s", m.label());
        Check.argument(labels.add(m.label()), "fusion member %s is given twice", m.label());
        if (m.method().needs(Method.Need.REACT_THRESHOLD)) {
          react.add(m.value(Param.REACT_PERCENTILE));
        }
      }
      Check.argument(react.size() <= 1, "fusion members clip at one ReAct percentile at most, got %s", react);
      Check.argument(combination != null, "a fusion needs a combination of its members' p-values");
    } else {
      Check.argument(members.isEmpty(), "method %s has no members (only %s does)", method.key(), Method.FUSION.key());
      Check.argument(combination == null, "method %s combines no members (only %s does)", method.key(),
          Method.FUSION.key());
    }
  }

  /** The fusion of {@code members} ({@link Fusion}). */
  public static DetectorSpec fusion(List<DetectorSpec> members) {
    return fusion(members, COMBINATION);
  }

  /** The fusion of {@code members}, combined as given (a saved detector's own). */
  public static DetectorSpec fusion(List<DetectorSpec> members, Fusion.Combination combination) {
    return new DetectorSpec(Method.FUSION, null, null, members, combination);
  }

  /** The fitted state this configuration needs: its method's, and for a fusion its members' too. */
  public java.util.Set<Method.Need> needs() {
    java.util.EnumSet<Method.Need> all = java.util.EnumSet.noneOf(Method.Need.class);
    all.addAll(method.needs());
    members.forEach(m -> all.addAll(m.needs()));
    return Collections.unmodifiableSet(all);
  }

  /** Whether this configuration (or a member of it) scores through an OPNP-pruned head. */
  public boolean usesPlan() {
    return method.usesPlan() || members.stream().anyMatch(DetectorSpec::usesPlan);
  }

  /** The ReAct percentile its clip value is needed at (its own, or its one clipping member's). */
  public double reactPercentile() {
    if (method.needs(Method.Need.REACT_THRESHOLD)) {
      return value(Param.REACT_PERCENTILE);
    }
    return members.stream().filter(m -> m.method().needs(Method.Need.REACT_THRESHOLD)).findFirst()
        .map(m -> m.value(Param.REACT_PERCENTILE))
        .orElseThrow(() -> new IllegalArgumentException(label() + " clips at no ReAct percentile"));
  }

  /** The method with the papers' defaults (OPNP's methods with the plan that prunes nothing). */
  public static DetectorSpec of(Method method) {
    return new DetectorSpec(method, null, method.usesPlan() ? PruningPercentages.NONE : null);
  }

  /** {@link #of(Method)} by name. */
  public static DetectorSpec of(String method) {
    return of(Method.parse(method));
  }

  /** This spec with {@code p} set to {@code value}. */
  public DetectorSpec with(Param p, double value) {
    EnumMap<Param, Double> v = new EnumMap<>(Param.class);
    v.putAll(values);
    v.put(p, value);
    return new DetectorSpec(method, v, plan, members, combination);
  }

  public DetectorSpec withPlan(PruningPercentages p) {
    return new DetectorSpec(method, values, p, members, combination);
  }

  /** This configuration with every parameter at the papers' default, the same method and plan (not for a fusion). */
  public DetectorSpec atDefaults() {
    Check.argument(method != Method.FUSION, "a fusion has no defaults of its own: %s", label());
    return new DetectorSpec(method, null, plan);
  }

  /**
   * The configuration as it scores on a head of {@code classes} classes: GEN's M at most the class count (every
   * M &ge; C takes all C classes), so that two specs that score alike compare equal.
   */
  public DetectorSpec effective(int classes) {
    return method.params().contains(Param.GEN_M) && value(Param.GEN_M) > classes ? with(Param.GEN_M, classes) : this;
  }

  /** The value of one of this method's parameters. */
  public double value(Param p) {
    Double v = values.get(p);
    Check.argument(v != null, "method %s has no parameter %s", method.key(), p.key());
    return v;
  }

  /** The hyper-parameters this method uses, by key, then the plan's percentages (reports, saved detectors). */
  public Map<String, Object> parameters() {
    Map<String, Object> out = new LinkedHashMap<>();
    values.forEach((p, v) -> out.put(p.key(), p.json(v)));
    if (plan != null) {
      out.put("rho_w_max", plan.rhoWMax());
      out.put("rho_w_min", plan.rhoWMin());
      out.put("rho_o_max", plan.rhoOMax());
      out.put("rho_o_min", plan.rhoOMin());
    }
    if (!members.isEmpty()) {
      out.put("combination", combination.key());
      List<Map<String, Object>> ms = new java.util.ArrayList<>();
      for (DetectorSpec m : members) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("method", m.method().key());
        e.put("parameters", m.parameters());
        ms.add(e);
      }
      out.put("members", ms);
    }
    return out;
  }

  /**
   * The spec {@link #parameters()} describes, as a saved detector holds it (numbers, and a fusion's {@code members}
   * as a list of {@code {method, parameters}}); fails naming what is missing or malformed.
   */
  @SuppressWarnings("unchecked")
  public static DetectorSpec fromSaved(Method method, Map<String, Object> saved) {
    if (method != Method.FUSION) {
      return fromParameters(method, k -> {
        Object o = saved.get(k);
        Check.argument(o == null || o instanceof Number, "parameter %s must be a number, got %s", k, o);
        return o == null ? null : ((Number) o).doubleValue();
      });
    }
    Object ms = saved.get("members");
    Check.argument(ms instanceof List<?>, "a fusion's parameters need the list of its members, got %s", ms);
    List<DetectorSpec> members = new java.util.ArrayList<>();
    for (Object o : (List<?>) ms) {
      Check.argument(o instanceof Map<?, ?> m && m.get("method") instanceof String && m.get("parameters") instanceof Map,
          "a fusion member must be {method, parameters}, got %s", o);
      Map<String, Object> m = (Map<String, Object>) o;
      members.add(fromSaved(Method.parse((String) m.get("method")), (Map<String, Object>) m.get("parameters")));
    }
    // Fusions saved before the combination was recorded took the minimum, and their threshold was set for it.
    Object c = saved.get("combination");
    Check.argument(c == null || c instanceof String, "a fusion's combination must be a name, got %s", c);
    return fusion(members, c == null ? Fusion.Combination.MIN : Fusion.Combination.parse((String) c));
  }

  /** The spec {@link #parameters()} describes; {@code saved} gives a saved value by key, or null when absent. */
  public static DetectorSpec fromParameters(Method method, Function<String, Double> saved) {
    EnumMap<Param, Double> v = new EnumMap<>(Param.class);
    for (Param p : method.params()) {
      Double x = saved.apply(p.key());
      if (x != null) {
        v.put(p, x);
      }
    }
    PruningPercentages plan = null;
    if (method.usesPlan()) {
      plan = new PruningPercentages(required(saved, "rho_w_max"), required(saved, "rho_w_min"),
          required(saved, "rho_o_max"), required(saved, "rho_o_min"));
    }
    return new DetectorSpec(method, v, plan);
  }

  private static double required(Function<String, Double> saved, String key) {
    Double v = saved.apply(key);
    Check.argument(v != null, "the OPNP plan's %s is missing", key);
    return v;
  }

  /** A short human-readable text of the hyper-parameters, e.g. "clip p=95" or "k=50"; "" for none. */
  public String setting() {
    if (!members.isEmpty()) {
      return String.join(" + ", members.stream().map(DetectorSpec::label).toList());
    }
    StringBuilder sb = new StringBuilder();
    if (plan != null) {
      sb.append(planText(plan));
    }
    values.forEach((p, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(p.text(v)));
    return sb.toString();
  }

  public String label() {
    String s = setting();
    return s.isEmpty() ? method.key() : method.key() + "(" + s + ")";
  }

  /**
   * The scorer of this spec: the one route from a configuration to its method, for evaluate and for
   * saved detectors alike.
   */
  public OodMethod build(LinearHead head, FittedState state, double temperature) {
    MethodOptions o = MethodOptions.defaults().withTemperature(temperature).withFits(state.fits());
    if (method == Method.FUSION) {
      List<OodMethod> built = members.stream().map(m -> m.build(head, state, temperature)).toList();
      return method.build(head, state.stats(),
          o.withFusion(built, members.stream().map(m -> state.reference(m.label())).toList(), combination));
    }
    for (Map.Entry<Param, Double> e : values.entrySet()) {
      o = o.with(e.getKey(), e.getValue());
    }
    if (method.needs(Method.Need.REACT_THRESHOLD)) {
      o = o.withReactThreshold(state.reactThreshold(value(Param.REACT_PERCENTILE)));
    }
    if (method.needs(Method.Need.VIM)) {
      o = o.withVim(state.vim(), state.vimMeanResidual());
    }
    if (method.needs(Method.Need.BANK)) {
      o = o.withKnnBank(state.bank());
    }
    if (method.needs(Method.Need.GUIDES)) {
      o = o.withGuides(state.guides());
    }
    if (state.training() != null) {
      o = o.withTraining(state.training());
    }
    if (method.usesPlan()) {
      o = o.withPrunedHead(state.pruned(head, plan));
    }
    return method.build(head, state.stats(), o);
  }

  /**
   * The validation selection's configurations: every method over its small grid (the product of its
   * parameters' grids), in table order; OPNP's at the swept plan, and none of them when that plan
   * prunes nothing (they would only repeat energy, ReAct and ASH-S); KNN only at the k the bank can
   * serve; GEN's M at most once past the class count (every M ≥ C is all C classes).
   */
  public static List<DetectorSpec> grid(PruningPercentages plan, KnnBank bank, int classes) {
    List<DetectorSpec> out = new java.util.ArrayList<>();
    java.util.Set<DetectorSpec> effective = new java.util.HashSet<>();
    for (Method m : Method.values()) {
      if (m == Method.FUSION || m.usesPlan() && plan.equals(PruningPercentages.NONE)) {  // fusions: see evaluate
        continue;
      }
      List<DetectorSpec> specs = List.of(m.usesPlan() ? DetectorSpec.of(m).withPlan(plan) : DetectorSpec.of(m));
      for (Param p : m.params()) {
        List<DetectorSpec> next = new java.util.ArrayList<>();
        for (DetectorSpec s : specs) {
          for (double v : p.grid()) {
            next.add(s.with(p, v));
          }
        }
        specs = next;
      }
      for (DetectorSpec s : specs) {
        if ((!m.needs(Method.Need.BANK) || bank.scaledK((int) s.value(Param.KNN_K)) <= bank.size())
            && effective.add(s.effective(classes))) {
          out.add(s);
        }
      }
    }
    return out;
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
