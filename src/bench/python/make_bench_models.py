#!/usr/bin/python3
"""Write DIR/resnet18.pt, DIR/resnet50.pt, DIR/resnet50-bf16.pt and DIR/poolfc.pt as TorchScript (random weights),
and the float32 ones also as ONNX (DIR/resnet18.onnx, ...: the same weights, for the ONNX Runtime engine).

resnet50-bf16 is resnet50 in bfloat16 (mixed precision on CPUs with AVX512-BF16/AMX, and on GPUs).
poolfc (8x8 average pool of the image, then a linear layer) costs almost nothing to run: with it
the pass is bound by JPEG decoding, as on a GPU executor, whose forward pass outruns the CPUs.

forward(x) -> (features [N,D], logits [N,C]); the classifier sits at top level
as `fc` so the scripted parameter names are exactly fc.weight / fc.bias, which
is what the OPNP code looks up.
"""
import argparse
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "main", "python"))
import onnx_export  # noqa: E402


class FeaturesAndLogits(torch.nn.Module):
    def __init__(self, resnet):
        super().__init__()
        self.fc = resnet.fc
        resnet.fc = torch.nn.Identity()  # body now returns pooled, flattened features
        self.body = resnet

    def forward(self, x):
        features = self.body(x)
        return features, self.fc(features)


class Bf16Input(FeaturesAndLogits):
    """bf16 weights; casts its float32 input first (DJL 0.33 cannot make bf16 tensors)."""

    def forward(self, x):
        return super().forward(x.to(torch.bfloat16))


class PoolFc(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3 * 8 * 8, 1000)

    def forward(self, x):
        features = torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 8), 1)
        return features, self.fc(features)


def network(name):
    torch.manual_seed(0)  # no pretrained weights offline; random but reproducible
    if name == "poolfc":
        net = PoolFc().eval()
    elif name.endswith("-bf16"):  # the same random weights as the float32 model, in bfloat16
        net = Bf16Input(getattr(torchvision.models, name[:-5])(weights=None, num_classes=1000)).eval()
        net = net.to(torch.bfloat16)
    else:
        net = FeaturesAndLogits(getattr(torchvision.models, name)(weights=None, num_classes=1000)).eval()
    return net


def export(name, path):
    net = network(name)
    with torch.no_grad():
        traced = torch.jit.trace(net, torch.randn(1, 3, 224, 224))
    traced.save(path)

    # Reload and check the file really has the contract the benchmark relies on.
    m = torch.jit.load(path).eval()
    params = dict(m.named_parameters())
    assert "fc.weight" in params and "fc.bias" in params, sorted(params)[-5:]
    w, b = params["fc.weight"].detach(), params["fc.bias"].detach()
    with torch.no_grad():
        feats, logits = m(torch.randn(2, 3, 224, 224))
    feats, logits, w, b = feats.double(), logits.double(), w.double(), b.double()
    expect = feats @ w.T + b
    rel = ((logits - expect).abs().max() / expect.abs().max().clamp_min(1e-12)).item()
    assert rel < (5e-2 if name.endswith("-bf16") else 1e-4), "logits != features @ fc.weight.T + fc.bias (rel err %g)" % rel
    c, d = w.shape
    assert feats.shape == (2, d) and logits.shape == (2, c)
    print("%s: D=%d C=%d size_mb=%.1f rel_err=%.2g" % (path, d, c, os.path.getsize(path) / 1e6, rel))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", nargs="+", default=["resnet18", "resnet50", "poolfc", "resnet50-bf16"])
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in a.models:
        path = os.path.join(a.out, name + ".pt")
        if os.path.exists(path):
            print("%s: already present" % path)
        else:
            export(name, path)
        onnx_path = os.path.join(a.out, name + ".onnx")
        if name.endswith("-bf16"):
            continue  # ONNX Runtime's CPU kernels have no bfloat16 convolutions
        if os.path.exists(onnx_path):
            print("%s: already present" % onnx_path)
        else:
            onnx_export.export(network(name), onnx_path, (3, 224, 224))
            print("%s: size_mb=%.1f" % (onnx_path, os.path.getsize(onnx_path) / 1e6))


if __name__ == "__main__":
    main()
