"""The recommended detector against the methods it was chosen from, on an evaluate run's test sets (issue 28's table).

    python3 choice_summary.py EVALUATE_OUTPUT

Reads EVALUATE_OUTPUT/metrics.json and prints every method's mean test AUROC over the OOD sets (each method at its
validation-chosen configuration), then one line: the recommendation's, the best single method's in hindsight, plain
Energy's and OPNP's (at the validation plan), and whether the recommendation is within 1 point of the best and above
Energy. Standard library only.
"""
import collections
import json
import os
import sys


def main(run):
    m = json.load(open(os.path.join(run, "metrics.json")))
    per = collections.defaultdict(dict)
    for r in m["results"]:
        per[r["method"]][r["ood_dataset"]] = 100 * r["auroc"]
    mean = {k: sum(v.values()) / len(v) for k, v in per.items()}
    sets = sorted(next(iter(per.values())))
    print("%-14s %s %9s" % ("method", " ".join("%14s" % s[:14] for s in sets), "mean"))
    for k in sorted(mean, key=mean.get, reverse=True):
        print("%-14s %s %9.2f" % (k, " ".join("%14.2f" % per[k].get(s, float("nan")) for s in sets), mean[k]))
    rec = m["recommendation"]
    chosen = 100 * rec["test_average_auroc"]
    singles = {k: v for k, v in mean.items() if k != "fusion"}
    best = max(singles, key=singles.get)
    cov = m.get("class_coverage", {})
    print("recommended %s: %.2f | best single %s: %.2f | energy %.2f | opnp %.2f | gap to best %.2f | %s | "
          "training classes %s of %s" % (rec["label"], chosen, best, singles[best], mean["energy"],
                                         mean.get("opnp", float("nan")), singles[best] - chosen,
                                         "within 1 point and above Energy" if singles[best] - chosen <= 1
                                         and chosen > mean["energy"] else "MISSES the bar",
                                         cov.get("training_classes"), cov.get("classifier_classes")))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
