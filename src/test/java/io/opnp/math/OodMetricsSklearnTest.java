package io.opnp.math;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * Against an independent implementation: scikit-learn's roc_curve / precision_recall_curve / auc
 * on random scores with and without ties (fixtures made by src/test/python/make_metric_fixtures.py).
 */
class OodMetricsSklearnTest {
  @Test
  void matchesScikitLearnOnRandomScores() throws Exception {
    JsonNode root;
    try (InputStream in = getClass().getResourceAsStream("/metrics/sklearn_cases.json")) {
      root = new ObjectMapper().readTree(in);
    }
    int n = 0;
    for (JsonNode c : root.get("cases")) {
      double[] id = toArray(c.get("id"));
      double[] ood = toArray(c.get("ood"));
      OodMetrics m = OodMetrics.of(id, ood);
      JsonNode e = c.get("expected");
      String where = "case " + n + " (" + id.length + " ID, " + ood.length + " OOD)";
      assertEquals(e.get("fpr95").asDouble(), m.fpr95(), 1e-12, where + " fpr95");
      assertEquals(e.get("auroc").asDouble(), m.auroc(), 1e-12, where + " auroc");
      assertEquals(e.get("aupr_in").asDouble(), m.auprIn(), 1e-12, where + " aupr_in");
      assertEquals(e.get("aupr_out").asDouble(), m.auprOut(), 1e-12, where + " aupr_out");
      n++;
    }
    assertEquals(12, n);
  }

  private static double[] toArray(JsonNode a) {
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asDouble();
    }
    return out;
  }
}
