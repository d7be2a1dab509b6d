package io.opnp.spark;

import io.opnp.math.Check;
import io.opnp.math.LinearHead;
import io.opnp.math.Sensitivity;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FittedState;
import io.opnp.methods.Method;
import io.opnp.methods.OodMethod;
import io.opnp.methods.OodMethods;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a scoring task needs, built once on the driver and broadcast: the methods of the method table
 * (one score column each, in order), built through {@link DetectorSpec#build}, and for each the head
 * whose arg-max is the row's predicted class — the OPNP-pruned head for a method that scores through
 * it, the original otherwise. {@code head} is the original head, for shape and label checks.
 */
record ScoringMethods(LinearHead head, List<OodMethod> methods, List<LinearHead> predictionHeads)
    implements Serializable {
  ScoringMethods {
    Check.argument(head != null, "scoring needs the model's head");
    Check.argument(!methods.isEmpty(), "scoring needs at least one method");
    Check.argument(methods.size() == predictionHeads.size(), "%s methods but %s prediction heads", methods.size(),
        predictionHeads.size());
    methods = List.copyOf(methods);
    predictionHeads = List.copyOf(predictionHeads);
  }

  /**
   * The specs' scorers. These entry points have only the head and the sensitivity, so a spec whose
   * method needs more fitted state (training statistics, a bank, ...) is refused here, naming it.
   */
  static ScoringMethods of(List<DetectorSpec> specs, LinearHead head, Sensitivity sensitivity, double temperature) {
    // Only the sensitivity: the OPNP plans prune by it; one state, so specs with one plan share one pruned head.
    FittedState state = FittedState.builder().sensitivity(sensitivity).build();
    List<OodMethod> methods = new ArrayList<>();
    List<LinearHead> predictions = new ArrayList<>();
    for (DetectorSpec spec : specs) {
      Method m = spec.method();
      Check.argument(needsOnlyTheHead(m), "method %s needs fitted state beyond the head and the sensitivity; "
          + "here only %s can score", m, headOnly());
      methods.add(spec.build(head, state, temperature));
      predictions.add(m.usesPlan() ? state.pruned(head, spec.plan()) : head);
    }
    return new ScoringMethods(head, methods, predictions);
  }

  /** Whether the method needs nothing fitted beyond the head (and, for OPNP's methods, the sensitivity). */
  static boolean needsOnlyTheHead(Method m) {
    return Arrays.stream(Method.Need.values()).noneMatch(m::needs);
  }

  /** The names of the methods {@link #needsOnlyTheHead}, in table order. */
  static List<String> headOnly() {
    return Arrays.stream(Method.values()).filter(ScoringMethods::needsOnlyTheHead).map(Method::key).toList();
  }

  /** One batch's scores ({@code scores[m][k]}, method m, row k) and predicted classes ({@code preds[m][k]}). */
  record Scores(double[][] scores, int[][] preds) {}

  /**
   * Scores n rows of float64 features (n×D) with every method in one {@link OodMethods#scoreAll}
   * pass, and predicts each row's class once per distinct prediction head, from the logits the
   * methods already computed of it (the heads are the methods' own, serialized with them).
   */
  Scores score(double[] features, int n) {
    double[][] s = new double[methods.size()][n];
    io.opnp.methods.Batch batch = new io.opnp.methods.Batch(features, n, head.dim());
    OodMethods.scoreAll(methods, batch, s);
    int c = head.classes();
    Map<LinearHead, int[]> byHead = new IdentityHashMap<>();
    int[][] p = new int[methods.size()][];
    for (int m = 0; m < p.length; m++) {
      p[m] = byHead.computeIfAbsent(predictionHeads.get(m), h -> {
        double[] logits = batch.logits(h);
        int[] top = new int[n];
        for (int k = 0; k < n; k++) {
          top[k] = io.opnp.math.Energy.argmax(logits, k * c, c);
        }
        return top;
      });
    }
    return new Scores(s, p);
  }
}
