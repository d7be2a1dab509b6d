#!/usr/bin/python3
"""Plain PyTorch baseline for the OPNP sensitivity sums (single process).

What a user would write without Spark: PIL decode + torchvision preprocessing,
batched forward, then the float64 sums of |dE/dW| (C x D) and |dE/dh| (D).
One JSON line per run on stdout; anything else goes to stderr.

--variant: script (the TorchScript file as torch.jit.load gives it), eager (the torchvision network
as a user builds it: --network resnet18|resnet50, the same seeded weights as make_bench_models.py
writes), frozen (the TorchScript file frozen and optimized for inference, the best a PyTorch user
gets on CPU: torch.jit.freeze + torch.jit.optimize_for_inference).
"""
import argparse
import glob
import json
import os
import sys
import time

import torch
from PIL import Image
from torchvision import transforms

PREPROCESS = transforms.Compose([
    transforms.Resize(256, interpolation=transforms.InterpolationMode.BILINEAR),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])


def run_once(model, W, paths, batch_size, temperature):
    C, D = W.shape
    weight_sums = torch.zeros(C, D, dtype=torch.float64)
    neuron_sums = torch.zeros(D, dtype=torch.float64)
    count = 0
    t_decode = t_forward = t_sums = 0.0
    start = time.perf_counter()
    for i in range(0, len(paths), batch_size):
        t0 = time.perf_counter()
        x = torch.stack([PREPROCESS(Image.open(p).convert("RGB")) for p in paths[i:i + batch_size]])
        t1 = time.perf_counter()
        with torch.inference_mode():
            features, logits = model(x)
        t2 = time.perf_counter()
        P = torch.softmax(logits.double() / temperature, dim=1)   # n x C
        Hab = features.double().abs()                             # n x D
        weight_sums += P.T @ Hab                                  # sum |dE/dW|
        neuron_sums += (P @ W).abs().sum(0)                       # sum |dE/dh|
        count += x.shape[0]
        t3 = time.perf_counter()
        t_decode += t1 - t0
        t_forward += t2 - t1
        t_sums += t3 - t2
    seconds = time.perf_counter() - start
    return {
        "images": count,
        "seconds": seconds,
        "images_per_second": count / seconds,
        "decode_seconds": t_decode,
        "forward_seconds": t_forward,
        "sums_seconds": t_sums,
        "weight_sum_total": weight_sums.sum().item(),
        "neuron_sum_total": neuron_sums.sum().item(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--json", action="store_true", help="accepted for symmetry; output is always JSON")
    ap.add_argument("--variant", choices=["script", "eager", "frozen"], default="script")
    ap.add_argument("--network", help="for --variant eager: the torchvision network the model file was made from")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only allowed before any parallel work has started
        pass

    paths = sorted(glob.glob(os.path.join(a.images, "*", "*.JPEG")))[:a.limit]
    if not paths:
        sys.exit("no *.JPEG under %s/*/" % a.images)

    # Untimed setup: load, fetch the classifier weights once, warm up.
    if a.variant == "eager":
        if not a.network:
            sys.exit("--variant eager needs --network")
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import make_bench_models
        model = make_bench_models.network(a.network).eval()
    else:
        model = torch.jit.load(a.model).eval()
    W = dict(model.named_parameters())["fc.weight"].detach().double()  # C x D
    if a.variant == "frozen":
        model = torch.jit.optimize_for_inference(torch.jit.freeze(model))
    with torch.inference_mode():
        model(torch.stack([PREPROCESS(Image.open(p).convert("RGB")) for p in paths[:2]]))

    for r in range(a.runs):
        res = run_once(model, W, paths, a.batch_size, a.temperature)
        out = {"runner": "pytorch-" + a.variant, "model": os.path.basename(a.model), "images": res.pop("images")}
        out.update(res)
        out.update(threads=a.threads, batch_size=a.batch_size)
        # Keep the key order from the brief: sums last.
        for k in ("weight_sum_total", "neuron_sum_total"):
            out[k] = out.pop(k)
        print(json.dumps(out), flush=True)
        print("run %d/%d: %.1f img/s" % (r + 1, a.runs, out["images_per_second"]), file=sys.stderr)


if __name__ == "__main__":
    main()
