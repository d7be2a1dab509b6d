"""The report of jobs/real-imagenet: reads what its steps wrote under RUN (model/reference, evaluate, detect) and
prints the tables and, last, one line of headline figures (fractions, not percents):

real-imagenet model=<efficientnet-liteN> engine=<pytorch|onnx> top1_project=<x> top1_pytorch=<y>
    agree=<share of equal predictions> speed_ratio_vs_pytorch=<r> recommended=<method>
    recommended_auroc=<mean over the OOD sets> best_single=<method> best_single_auroc=<mean> energy_auroc=<mean>

Run with the pyspark environment's Python (pyarrow reads detect's Parquet scores).
    python real_imagenet_report.py RUN
"""
import json
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow.dataset as ds

ID_SETS = ("val-verisilicon", "val-fullres", "imagenette-val")


def load(path):
    return json.loads(Path(path).read_text())


def relative(uri, root):
    p = unquote(urlparse(uri).path)
    return str(Path(p).relative_to(root))


def main(run):
    run = Path(run)
    metrics = load(run / "evaluate" / "metrics.json")
    summary = load(run / "detect" / "summary.json")
    rec = metrics["recommendation"]
    oods = sorted({r["ood_dataset"] for r in metrics["results"]})

    print("\n== Every method on the OOD sets (test; ID test set %s, %d images) ==" % (metrics["id_dataset"],
                                                                                     metrics["id_count"]))
    by_method = {}
    for r in metrics["results"]:
        by_method.setdefault(r["method"], {})[r["ood_dataset"]] = r
    print("%-14s" % "method" + "".join("%22s" % o for o in oods) + "%12s" % "mean AUROC")
    print("%-14s" % "" + "".join("%22s" % "AUROC / FPR95" for _ in oods))
    rows = []
    for m, per in by_method.items():
        mean = sum(per[o]["auroc"] for o in oods) / len(oods)
        rows.append((mean, m, per))
    for mean, m, per in sorted(rows, reverse=True):
        print("%-14s" % m + "".join("%13.2f / %6.2f" % (100 * per[o]["auroc"], 100 * per[o]["fpr95"]) for o in oods)
              + "%12.2f" % (100 * mean))
    energy = sum(by_method["energy"][o]["auroc"] for o in oods) / len(oods)
    opnp = sum(by_method["opnp"][o]["auroc"] for o in oods) / len(oods) if "opnp" in by_method else None
    best = max(r for r in rows if r[1] != "fusion")  # the best single method; the fusion is the recommendation's

    print("\n== The recommended detector (chosen on validation data only) ==")
    print("%s: %s" % (rec["label"], rec["why"]))
    print("test mean AUROC %.2f %% (best single method in hindsight: %s %.2f %%; energy %.2f %%; choice rule %s)"
          % (100 * rec["test_average_auroc"], best[1], 100 * best[0], 100 * energy, rec.get("choice_rule", "best")))
    print("pruning: %s" % rec["pruning"]["reason"])
    if opnp is not None:
        print("OPNP (energy through the pruned head, plan %s) on the test sets: %.2f %% mean AUROC against energy's "
              "%.2f %%" % (metrics["plan"], 100 * opnp, 100 * energy))
    print("ID accuracy (evaluate's ID test set): %.2f %%, with the pruned head %.2f %%"
          % (100 * metrics["id_accuracy"], 100 * metrics["id_accuracy_opnp"]))

    print("\n== opnp detect: flagged shares (expected on ID data: %.2f %%) ==" % (100 * summary["expected_id_flag_rate"]))
    chose_on = {p.split("+")[0] for p in rec["proxies"]}  # the held-out ID set the choice and threshold were made on
    for name, d in summary["datasets"].items():
        lo, hi = d["ood_rate_interval_95"]
        print("%-16s %6d images  flagged %6.2f %% [%.2f, %.2f]%s%s" % (name, d["scored"], 100 * d["ood_rate"], 100 * lo,
              100 * hi, "  unlike ID data" if d["unlike_in_distribution"] else "",
              "  (chose the detector and set its threshold: not independent)" if name in chose_on else ""))

    # The project's predictions on the ID test photographs against PyTorch's own loop, image by image.
    scores = ds.dataset(str(run / "detect" / "scores"), format="parquet", partitioning="hive").to_table(
        columns=["id", "label", "prediction", "dataset"]).to_pylist()
    ours = {}
    for r in scores:
        ours[(r["dataset"], r["id"])] = r
    total = correct_ours = correct_torch = agree = 0
    torch_seconds = torch_images = 0
    for name in ID_SETS:
        ref_summary = run / "model" / "reference" / (name + ".json")
        if not ref_summary.exists():
            continue
        s = load(ref_summary)
        torch_seconds += s["seconds"]
        torch_images += s["images"]
        by_path = {}
        for line in (run / "model" / "reference" / (name + ".jsonl")).read_text().splitlines():
            r = json.loads(line)
            by_path[r["path"]] = r
        for (dataset, uri), r in ours.items():
            if dataset != name:
                continue
            want = by_path.get(relative(uri, s["root"]))
            if want is None:
                continue
            total += 1
            correct_ours += r["prediction"] == want["label"]
            correct_torch += want["prediction"] == want["label"]
            agree += r["prediction"] == want["prediction"]
    top1_ours = correct_ours / total
    top1_torch = correct_torch / total
    print("\n== Fidelity on the %d ID test photographs ==" % total)
    print("top-1: project %.2f %%, PyTorch %.2f %%; the same prediction for %d of %d images"
          % (100 * top1_ours, 100 * top1_torch, agree, total))

    stages = metrics["stage_seconds"]
    print("\n== Stage times (evaluate) ==")
    for name, st in stages.items():
        rate = st.get("items_per_second")
        print("%-58s %-9s %8.1f s%s" % (name, st["where"], st["seconds"],
                                        "" if rate is None else "  %d images, %.1f images/s" % (st["items"], rate)))
    print("evaluate wall %s s, detect wall %s s (Spark start-up included)"
          % ((run / "evaluate.seconds").read_text().strip(), (run / "detect.seconds").read_text().strip()))
    model_pass = next(st for name, st in stages.items() if name.startswith("model pass"))
    project_rate = model_pass["items_per_second"]
    torch_rate = torch_images / torch_seconds
    print("\n== Speed of the model pass, same cores ==")
    engine_file = run / "engine"
    engine = engine_file.read_text().strip() if engine_file.exists() else "pytorch"
    print("project (Spark local[2], %s, 1 thread per task; decode, resize, forward, sensitivity sums): "
          "%.1f images/s over %d images" % ("ONNX Runtime" if engine == "onnx" else "libtorch", project_rate,
                                             model_pass["items"]))
    print("plain PyTorch loop (PIL decode, torchvision transforms, forward; 2 threads): %.1f images/s over %d images"
          % (torch_rate, torch_images))
    model = sorted(p.stem for p in (run / "model").glob("*.pt"))
    print("\nreal-imagenet model=%s engine=%s top1_project=%.4f top1_pytorch=%.4f agree=%.4f "
          "speed_ratio_vs_pytorch=%.2f recommended=%s recommended_auroc=%.4f best_single=%s best_single_auroc=%.4f "
          "energy_auroc=%.4f" % (",".join(model), engine, top1_ours, top1_torch, agree / total,
                                 project_rate / torch_rate, rec["method"], rec["test_average_auroc"], best[1], best[0],
                                 energy))


if __name__ == "__main__":
    main(sys.argv[1])
