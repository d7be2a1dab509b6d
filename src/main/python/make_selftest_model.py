#!/usr/bin/python3
"""The engine self-test network (io.opnp.numerics.SelfTestNet is its Java twin).

A small ResNet-like network that takes the convolution paths real models take — a 7x7 stride-2
stem, 3x3 and 1x1 convolutions with stride 1 and 2, padding, a max-pool, batch norm, residual adds,
channel counts that are (48, 64) and are not (3, 24, 40) multiples of 16 — then global average
pooling and a linear head, under the model contract forward(x) -> (features, logits).

Every weight and input comes from an integer formula that the Java side evaluates exactly
(SelfTestNet.value), so Java can recompute the outputs in float64 without reading this file: the
reference is independent of libtorch. Written in float32 and bfloat16 (forward casts the float32 input
first, as the project's bf16 models do).

Usage: /usr/bin/python3 src/main/python/make_selftest_model.py [--formats pt onnx]   (Debian's python3-torch)
writes src/main/resources/selftest/selftest-{fp32,bf16}.pt (libtorch) and selftest-fp32.onnx (ONNX Runtime)
"""
import argparse
import math
import os
import sys

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "selftest")

# (name, in, out, kernel, stride, padding, batch norm) in forward order; Java lists the same.
CONVS = [
    ("stem", 3, 24, 7, 2, 3, True),
    ("b1a", 24, 24, 3, 1, 1, True),
    ("b1b", 24, 24, 3, 1, 1, True),
    ("b2a", 24, 48, 3, 2, 1, True),
    ("b2s", 24, 48, 1, 2, 0, False),
    ("c5", 48, 40, 1, 1, 0, False),
    ("c6", 40, 64, 3, 1, 1, True),
]
FEATURES, CLASSES = 64, 10


def value(layer, i):
    """The formula: a value in [-1, 1] for element i of tensor number `layer` (exact in float64)."""
    return ((i * 7919 + layer * 104729 + 13) % 2003 - 1001) / 1001.0


def fill(t, layer, scale, offset=0.0):
    flat = torch.tensor([offset + scale * value(layer, i) for i in range(t.numel())], dtype=torch.float64)
    with torch.no_grad():
        t.copy_(flat.reshape(t.shape).to(t.dtype))


class SelfTestNet(nn.Module):
    def __init__(self, cast_input=None):
        super().__init__()
        self.cast_input = cast_input
        self.convs = nn.ModuleDict()
        self.bns = nn.ModuleDict()
        layer = 0
        for name, cin, cout, k, s, p, bn in CONVS:
            conv = nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=True)
            fan_in = cin * k * k
            fill(conv.weight, layer, 1.5 / math.sqrt(fan_in))
            fill(conv.bias, layer + 1, 0.1)
            layer += 2
            self.convs[name] = conv
            if bn:
                b = nn.BatchNorm2d(cout, eps=1e-5)
                fill(b.weight, layer, 0.2, 1.0)
                fill(b.bias, layer + 1, 0.1)
                fill(b.running_mean, layer + 2, 0.1)
                fill(b.running_var, layer + 3, 0.4, 1.0)
                layer += 4
                self.bns[name] = b
        self.fc = nn.Linear(FEATURES, CLASSES)
        fill(self.fc.weight, layer, 1.5 / math.sqrt(FEATURES))
        fill(self.fc.bias, layer + 1, 0.1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)

    def cb(self, name, x):
        x = self.convs[name](x)
        return self.bns[name](x) if name in self.bns else x

    def forward(self, x):
        if self.cast_input is not None:
            x = x.to(self.cast_input)
        x = self.pool(torch.relu(self.cb("stem", x)))
        x = torch.relu(self.cb("b1b", torch.relu(self.cb("b1a", x))) + x)
        x = torch.relu(self.cb("b2a", x) + self.cb("b2s", x))
        x = torch.relu(self.cb("c5", x))
        x = torch.relu(self.cb("c6", x))
        h = x.mean(dim=(2, 3))
        return h, self.fc(h)


def inputs(n):
    x = torch.tensor([value(1000 + k, k) for k in range(n * 3 * 64 * 64)], dtype=torch.float64)
    return x.reshape(n, 3, 64, 64).float()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--formats", nargs="+", choices=["pt", "onnx"], default=["pt", "onnx"])
    formats = ap.parse_args().formats
    os.makedirs(OUT, exist_ok=True)
    if "onnx" in formats:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import onnx_export
        onnx_export.export(SelfTestNet().eval(), os.path.join(OUT, "selftest-fp32.onnx"), (3, 64, 64))
        print("fp32 ONNX written")
    if "pt" not in formats:
        return
    x = inputs(17)
    # No float16 variant: torch's CPU has no float16 convolution ("slow_conv2d_cpu" not implemented
    # for 'Half'), so fp16 models are GPU models and the self-test on a GPU is out of scope here.
    for tag, dtype in [("fp32", torch.float32), ("bf16", torch.bfloat16)]:
        net = SelfTestNet(dtype if dtype != torch.float32 else None).eval().to(dtype)
        with torch.no_grad():
            traced = torch.jit.trace(net, x)
            h, f = traced(x)
            print(tag, "features[0][:4]", h[0, :4].float().tolist(), "logits[0][:3]", f[0, :3].float().tolist())
        traced.save(os.path.join(OUT, f"selftest-{tag}.pt"))


if __name__ == "__main__":
    main()
