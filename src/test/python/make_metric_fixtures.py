#!/usr/bin/python3
"""Reference OOD metrics from scikit-learn (Debian's python3-sklearn), as OpenOOD computes them
but with ID as the positive class for FPR95 (DESIGN §1). Writes
src/test/resources/metrics/sklearn_cases.json for OodMetricsSklearnTest.

Usage: /usr/bin/python3 src/test/python/make_metric_fixtures.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn import metrics

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "metrics", "sklearn_cases.json")


def reference(id_scores, ood_scores):
    conf = np.concatenate([id_scores, ood_scores])
    is_id = np.concatenate([np.ones(len(id_scores)), np.zeros(len(ood_scores))])
    fpr, tpr, _ = metrics.roc_curve(is_id, conf)
    fpr95 = fpr[np.argmax(tpr >= 0.95)]
    p_in, r_in, _ = metrics.precision_recall_curve(is_id, conf)
    p_out, r_out, _ = metrics.precision_recall_curve(1 - is_id, -conf)
    return {"fpr95": float(fpr95), "auroc": float(metrics.auc(fpr, tpr)),
            "aupr_in": float(metrics.auc(r_in, p_in)), "aupr_out": float(metrics.auc(r_out, p_out))}


def main():
    rng = np.random.default_rng(20231127)
    cases = []
    for k in range(12):
        n_id, n_ood = int(rng.integers(5, 400)), int(rng.integers(5, 400))
        if k % 3 == 0:   # heavy ties
            ids = rng.integers(0, 12, n_id).astype(float) + 2
            oods = rng.integers(0, 12, n_ood).astype(float)
        else:            # continuous, overlapping
            ids = rng.normal(1.0 + 0.3 * k, 1.0, n_id)
            oods = rng.normal(0.0, 1.5, n_ood)
        cases.append({"id": ids.tolist(), "ood": oods.tolist(), "expected": reference(ids, oods)})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"sklearn": sklearn.__version__, "cases": cases}, f)
    print("wrote", len(cases), "cases with scikit-learn", sklearn.__version__)


if __name__ == "__main__":
    main()
