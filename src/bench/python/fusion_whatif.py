"""What would a fusion of other members have scored? (issue 28's evidence for the class-coverage rule.)

    python fusion_whatif.py EVALUATE_OUTPUT HEAD.npz HELD_OUT ID_TEST MEMBERS [MEMBERS ...]

Recomputes from an evaluate run's feature cache (EVALUATE_OUTPUT/features), with NumPy, the methods that need only
the head and the training mean (msp, maxlogit, energy, gen at gamma 0.01/0.1/0.5, nci, fdbd, react at clip
percentiles 80/85/90/95/99) on the held-out ID set HELD_OUT, the ID test set ID_TEST and every other dataset of the
cache that is not a proxy or the training set (the OOD test sets), and prints

1. per method: its mean test AUROC over the OOD sets and the share of ID test images it flags at a threshold that
   keeps 95 % of the held-out ID images (a held-out set unlike the ID test data shows as a share far from 5 %);
2. per MEMBERS (comma-separated, e.g. nci,gen0.5): the mean test AUROC of fusing the members' conformal p-values
   against a random half of the held-out ID scores, combined by the minimum (what opnp's fusion does), Fisher's
   sum of logs, the harmonic mean and the Cauchy combination.

The test scores it recomputes for the ID test set are checked against evaluate's own (scores-all) for the methods
whose definition matches evaluate's exactly (msp, energy, nci, fdbd, react at 90). HEAD.npz holds the last layer
as arrays "weight" (C x D) and "bias" (C), e.g. from the exported TorchScript file:

    python -c "import torch, numpy as np; p = dict(torch.jit.load('M.pt').named_parameters()); \\
        np.savez('head.npz', weight=p['_fc.weight'].detach().numpy(), bias=p['_fc.bias'].detach().numpy())"

Needs numpy and pyarrow (the pyspark environment jobs/lib.sh makes has both).
"""
import os
import sys

import numpy as np
import pyarrow.dataset as pads


def features(run, name):
    t = pads.dataset(os.path.join(run, "features", "dataset=" + name), format="parquet").to_table().to_pandas()
    t = t.sort_values("id")
    return (t["id"].values, np.stack(t["features"].values).astype(np.float64),
            np.stack(t["logits"].values).astype(np.float64))


def energy(logits):
    m = logits.max(1, keepdims=True)
    return m[:, 0] + np.log(np.exp(logits - m).sum(1))


class Scorer:
    def __init__(self, weight, bias, train):
        self.w, self.b = weight, bias
        self.mu = train.mean(0)
        self.clips = {q: np.percentile(train, q) for q in (80, 85, 90, 95, 99)}
        d = np.sqrt(np.maximum(((weight[:, None, :] - weight[None, :, :]) ** 2).sum(2), 0))
        self.inv = 1 / np.where(d > 0, d, np.inf)

    def __call__(self, h, f):
        s = {}
        p = np.exp(f - f.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        s["msp"], s["maxlogit"], s["energy"] = p.max(1), f.max(1), energy(f)
        top_p = -np.sort(-p, 1)[:, :100]
        for g, name in ((0.01, "gen"), (0.1, "gen0.1"), (0.5, "gen0.5")):
            s[name] = -(top_p ** g * (1 - top_p) ** g).sum(1)
        top = f.argmax(1)
        x = h - self.mu
        nx = np.linalg.norm(x, axis=1)
        s["nci"] = (self.w[top] * x).sum(1) / nx + 1e-4 * np.abs(h).sum(1)
        s["fdbd"] = (np.abs(f[np.arange(len(f)), top][:, None] - f) * self.inv[top]).sum(1) / nx
        for q, c in self.clips.items():
            s["react" if q == 90 else "react%d" % q] = energy(np.minimum(h, c) @ self.w.T + self.b)
        return s


def auroc(id_scores, ood_scores):
    """P(ID score > OOD score) + ties / 2."""
    o = np.sort(ood_scores)
    lo, hi = np.searchsorted(o, id_scores, "left"), np.searchsorted(o, id_scores, "right")
    return float((lo + 0.5 * (hi - lo)).sum() / (len(id_scores) * len(o)))


def p_values(reference, s):
    return (1 + np.searchsorted(np.sort(reference), s, "right")) / (len(reference) + 1)


COMBINE = {
    "min": lambda p: p.min(0),
    "fisher": lambda p: np.log(p).sum(0),
    "harmonic": lambda p: -(1 / p).sum(0),
    "cauchy": lambda p: -np.tan((0.5 - p) * np.pi).sum(0),
}


def main(run, head, held_out, id_test, combos):
    e = os.path.join(run, "evaluate") if os.path.isdir(os.path.join(run, "evaluate")) else run
    h = np.load(head)
    names = sorted(d[len("dataset="):] for d in os.listdir(os.path.join(e, "features")) if d.startswith("dataset="))
    train = [n for n in names if "+" not in n and n not in (held_out, id_test) and "train" in n]
    if len(train) != 1:
        sys.exit("cannot tell the training set among %s" % names)
    scorer = Scorer(h["weight"].astype(np.float64), h["bias"].astype(np.float64), features(e, train[0])[1])
    oods = [n for n in names if "+" not in n and n not in (held_out, id_test, train[0])]
    sets = {n: scorer(*features(e, n)[1:]) for n in [held_out, id_test] + oods}
    ref = pads.dataset(os.path.join(e, "scores-all"), format="parquet", partitioning="hive").to_table().to_pandas()
    ref = ref[ref.dataset == id_test].sort_values("id")
    for k in ("msp", "energy", "nci", "fdbd", "react"):
        rel = np.abs(sets[id_test][k] - ref[k].values).max() / np.abs(ref[k].values).max()
        if rel > 1e-5:
            sys.exit("%s differs from evaluate's by %.2e (relative): wrong head or data" % (k, rel))
    held = sets[held_out]
    half = np.random.default_rng(0).permutation(len(held["msp"]))[: len(held["msp"]) // 2]
    print("OOD sets: %s; p-value reference: %d of the %d %s images" % (", ".join(oods), len(half),
                                                                       len(held["msp"]), held_out))
    print("%-10s %s  mean AUROC  ID test flagged at the 95 %% held-out threshold" % ("method", " ".join(
        "%9s" % o[:9] for o in oods)))
    for k in held:
        a = [100 * auroc(sets[id_test][k], sets[o][k]) for o in oods]
        flagged = 100 * np.mean(sets[id_test][k] < np.percentile(held[k][half], 5))
        print("%-10s %s  %9.2f  %5.1f %%" % (k, " ".join("%9.2f" % x for x in a), np.mean(a), flagged))
    for combo in combos:
        members = combo.split(",")
        p = {n: np.array([p_values(held[m][half], sets[n][m]) for m in members]) for n in [id_test] + oods}
        out = []
        for name, fn in COMBINE.items():
            out.append("%s %.2f" % (name, np.mean([100 * auroc(fn(p[id_test]), fn(p[o])) for o in oods])))
        print("%-24s %s" % ("+".join(members), " | ".join(out)))


if __name__ == "__main__":
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
