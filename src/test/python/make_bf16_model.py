#!/usr/bin/python3
"""The demo model exported in bfloat16, for the mixed-precision tests (--precision auto/bf16).

Rebuilt from the training script's architecture with the demo model's weights and cast to bf16;
forward takes float32 and casts it first (DJL 0.33 cannot create bf16 tensors, so the job always
feeds float32 to such models), and the trace then records bf16 constants.

Usage: /usr/bin/python3 src/test/python/make_bf16_model.py  (writes src/test/resources/models/fmnist-resnet-bf16.pt)
"""
import os
import sys

import torch

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "..", "main", "python"))
import train_demo_model  # noqa: E402

SRC = os.path.join(HERE, "..", "..", "main", "resources", "demo", "fmnist-resnet.pt")
OUT = os.path.join(HERE, "..", "resources", "models", "fmnist-resnet-bf16.pt")


class Bf16Input(train_demo_model.SmallResNet):
    def forward(self, x):
        return super().forward(x.to(torch.bfloat16))


def main():
    fp32 = torch.jit.load(SRC).eval()
    model = Bf16Input()
    model.load_state_dict(fp32.state_dict())
    model = model.eval().to(torch.bfloat16)
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        traced = torch.jit.trace(model, x)
        h16, f16 = traced(x)
        h32, f32 = fp32(x)
    assert h16.dtype == torch.bfloat16 and f16.dtype == torch.bfloat16
    err = ((f16.float() - f32).abs().max() / f32.abs().max()).item()
    print(f"bf16 vs fp32 logits: max error {err:.3g} of the largest logit")
    traced.save(OUT)


if __name__ == "__main__":
    main()
