#!/usr/bin/python3
"""Train and export opnp-spark's demo model: a small residual CNN on Fashion-MNIST.

Seeded and CPU-only (Debian's python3-torch); about 20 minutes on 2 cores. The exported
TorchScript module follows the project's model contract:

    forward(x: float32 [N,1,28,28], pixels in [0,1]) -> (features [N,256], logits [N,10])

with normalization inside the model, and the last linear layer named `fc` so that its
parameters are `fc.weight` [10,256] and `fc.bias` [10].

Usage: /usr/bin/python3 src/main/python/train_demo_model.py [--epochs 10] [--train-count 55000] [--out DIR]

The last 60,000 − train-count training images are never seen by the model: they are the
validation ID set on which the pruning percentages are chosen.
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel statistics


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        ndim = magic & 0xFF
        dims = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


class Block(nn.Module):
    """Pre-activation-free basic residual block, as in ResNet-18/34."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.short is None else self.short(x)))


class SmallResNet(nn.Module):
    """Narrow early stages (cheap on CPU), widened to 256 just before global average pooling."""

    def __init__(self, num_classes=10, width=256):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 24, 3, 1, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU())
        self.layer1 = Block(24, 24, 1)   # 28x28
        self.layer2 = Block(24, 48, 2)   # 14x14
        self.layer3 = Block(48, 96, 2)   # 7x7
        self.widen = nn.Sequential(nn.Conv2d(96, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        self.fc = nn.Linear(width, num_classes)

    def features(self, x):
        x = (x - MEAN) / STD
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        x = self.widen(x)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def forward(self, x):
        h = self.features(x)
        return h, self.fc(h)


def augment(x, gen):
    """Random 2-pixel shifts and horizontal flips (garments are left/right symmetric)."""
    n = x.shape[0]
    padded = F.pad(x, (2, 2, 2, 2))
    dx = torch.randint(0, 5, (n,), generator=gen)
    dy = torch.randint(0, 5, (n,), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = padded[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            _, logits = model(x[i:i + batch])
            correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "resources", "demo"))
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=20231127)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-count", type=int, default=55000,
                    help="train on the first N training images; the rest are the held-out validation ID set")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    def load(split):
        x = read_idx(os.path.join(args.data, f"{split}-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(args.data, f"{split}-labels-idx1-ubyte.gz"))
        return torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1), torch.from_numpy(y.astype(np.int64))

    xtr, ytr = load("train")
    xtr, ytr = xtr[:args.train_count], ytr[:args.train_count]
    xte, yte = load("t10k")
    model = SmallResNet()
    steps = args.epochs * ((len(xtr) + args.batch - 1) // args.batch)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps, pct_start=0.2)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total, seen = 0.0, 0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            xb, yb = augment(xtr[idx], gen), ytr[idx]
            _, logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=0.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        acc = evaluate(model, xte, yte)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / seen:.4f} test_acc {acc:.4f} "
              f"elapsed {time.time() - t0:.0f}s", flush=True)

    model.eval()
    acc = evaluate(model, xte, yte)
    traced = torch.jit.trace(model, torch.rand(2, 1, 28, 28))
    os.makedirs(args.out, exist_ok=True)
    pt = os.path.join(args.out, "fmnist-resnet.pt")
    traced.save(pt)
    with open(pt, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    info = {
        "model": "fmnist-resnet.pt",
        "sha256": sha,
        "architecture": "SmallResNet: stem 24ch, residual blocks 24/48/96, 1x1 widen to 256, GAP, fc 256->10",
        "contract": {"input": "float32 [N,1,28,28] in [0,1]", "output": "(features [N,256], logits [N,10])",
                     "weight": "fc.weight", "bias": "fc.bias"},
        "trained_on": f"Fashion-MNIST train, first {args.train_count:,} images (the last "
                      f"{60000 - args.train_count:,} are held out as the validation ID set)",
        "test_accuracy": round(acc, 4),
        "test_images": len(xte),
        "epochs": args.epochs,
        "seed": args.seed,
        "torch": torch.__version__,
        "train_seconds": round(time.time() - t0),
    }
    with open(os.path.join(args.out, "fmnist-resnet.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
