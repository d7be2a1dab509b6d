"""How the choice of detector would have transferred to the test sets of an evaluate run (issue 28's evidence).

    python choice_analysis.py EVALUATE_OUTPUT ID_TEST_NAME [COMBO ...]

Reads EVALUATE_OUTPUT/metrics.json and EVALUATE_OUTPUT/scores-all (every method's test scores per image) and prints
1. per validation proxy, Spearman's rank correlation across methods between the proxy's AUROC (each method's best
   configuration on the validation data) and the method's mean test AUROC: does the proxy predict real OOD data?
2. for each COMBO (comma-separated method names), the mean test AUROC of fusing the members' conformal p-values by
   mean, Fisher's sum of logs and the minimum (flag when any member calls the input unusual), against the best
   single method and Energy. The p-values' ID reference is the first half of the ID test set by id and the AUROCs are
   computed on the second half, so the figures differ a little from evaluate's, which uses the whole set.
Needs numpy and pyarrow (the pyspark environment jobs/lib.sh makes has both).
"""
import collections
import json
import sys

import numpy as np
import pyarrow.dataset as pads


FAMILY = {m: "logit" for m in ("msp", "maxlogit", "energy", "gen")}
FAMILY.update({m: "shaping" for m in ("react", "dice", "ash_p", "ash_b", "ash_s", "scale", "opnp", "opnp_react",
                                      "opnp_ash", "opnp_scale")})
FAMILY.update({m: "distance" for m in ("mahalanobis", "rmds", "mdspp", "rmdspp", "knn", "vim", "she", "nnguide",
                                                                    "klm")})
FAMILY.update({m: "boundary" for m in ("fdbd", "nci")})  # as io.opnp.methods.Method.Family


def spearman(a, b):
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def auroc(a, b):
    """P(ID score > OOD score) + ties / 2."""
    b = np.sort(b)
    lo, hi = np.searchsorted(b, a, side="left"), np.searchsorted(b, a, side="right")
    return float((lo + 0.5 * (hi - lo)).sum() / (len(a) * len(b)))


def main(run, id_name, combos):
    metrics = json.load(open(run + "/metrics.json"))
    rec = metrics["recommendation"]
    test = collections.defaultdict(dict)
    for r in metrics["results"]:
        test[r["method"]][r["ood_dataset"]] = r["auroc"]
    best_config = {}
    for r in rec["ranking"]:
        method = r["detector"].split("(")[0]
        if method in test and method not in best_config:
            best_config[method] = r
    methods = sorted(best_config)
    test_mean = [np.mean(list(test[m].values())) for m in methods]
    print("== Do the proxies predict the test sets? (Spearman across %d methods) ==" % len(methods))
    for p in rec["ranking"][0]["proxies"]:
        print("%-32s %+.2f" % (p, spearman([best_config[m]["proxies"][p]["auroc"] for m in methods], test_mean)))
    print("%-32s %+.2f" % ("criterion over all proxies", spearman([best_config[m]["criterion_auroc"] for m in methods],
                                                                   test_mean)))

    t = pads.dataset(run + "/scores-all", format="parquet", partitioning="hive").to_table().to_pandas()
    ids = t[t.dataset == id_name].sort_values("id")
    ref, held = ids.iloc[: len(ids) // 2], ids.iloc[len(ids) // 2:]
    oods = [d for d in t.dataset.unique() if d != id_name]

    def mean_auroc(score):
        a = score(held)
        return np.mean([auroc(a, score(t[t.dataset == o])) for o in oods])

    def pvalue(m, rows):
        r = np.sort(ref[m].values)
        return (1 + np.searchsorted(r, rows[m].values, side="right")) / (len(r) + 1)

    single = {m: mean_auroc(lambda rows, m=m: rows[m].values) for m in methods if m in t.columns}
    best = max(single, key=single.get)
    print("\n== Fused detectors on the test sets (ID %s, OOD %s) ==" % (id_name, ", ".join(oods)))
    print("best single %s %.2f %%, energy %.2f %%" % (best, 100 * single[best], 100 * single["energy"]))
    fuse = {"mean": lambda p: p.mean(0), "fisher": lambda p: np.log(p).sum(0), "min": lambda p: p.min(0)}
    # The rule "fuse the leading configurations of the first K different methods" (each member at its default
    # configuration here: the test scores hold only those), K = 2..6.
    leading = []
    for r in rec["ranking"]:
        m = r["detector"].split("(")[0]
        if m in single and m not in leading:
            leading.append(m)
    print("validation's order of methods: %s" % ", ".join(leading[:8]))
    for k in range(2, 7):
        members = leading[:k]
        a = mean_auroc(lambda rows: np.stack([pvalue(m, rows) for m in members]).min(0))
        print("min-fusion of the first %d methods %.2f %% (%s)" % (k, 100 * a, ",".join(members)))
    print("first method alone %.2f %% (%s)" % (100 * single[leading[0]], leading[0]))
    # The fusion rule of evaluate's --choose fusion: the leaders of the first K families, ranked by the mean or (as
    # evaluate does) by the worst proxy AUROC.
    for crit, key in (("mean", lambda r: r["criterion_auroc"]),
                      ("worst", lambda r: min(p["auroc"] for p in r["proxies"].values()))):
        heads, seen = [], set()
        for r in sorted(rec["ranking"], key=key, reverse=True):
            m = r["detector"].split("(")[0]
            if m in single and FAMILY.get(m, m) not in seen:
                seen.add(FAMILY.get(m, m))
                heads.append(m)
        for k in range(2, min(5, len(heads)) + 1):
            members = heads[:k]
            a = mean_auroc(lambda rows: np.stack([pvalue(m, rows) for m in members]).min(0))
            print("families ranked by %s proxy AUROC, min-fusion of the first %d: %.2f %% (%s)"
                  % (crit, k, 100 * a, ",".join(members)))
    for combo in combos:
        members = combo.split(",")
        line = []
        for name, f in fuse.items():
            line.append("%s %.2f" % (name, 100 * mean_auroc(lambda rows: f(np.stack([pvalue(m, rows) for m in members])))))
        print("%-50s %s   (members: %s)" % (combo, ", ".join(line),
                                             ", ".join("%s %.1f" % (m, 100 * single[m]) for m in members)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
