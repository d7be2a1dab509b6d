#!/usr/bin/python3
"""Golden outputs for a model card: features and logits of a few fixed inputs, computed by PyTorch
when the model is exported, so the project can check at load time that the engine on the machine
at hand reproduces them (io.opnp.model.GoldenOutputs).

The card is the JSON file beside the model with the same stem (fmnist-resnet.pt -> fmnist-resnet.json);
this adds or replaces its "golden" object:
  {"inputs": {"shape": [N, C, H, W], "float32_le_base64": ...},
   "features": {"shape": [N, D], ...}, "logits": {"shape": [N, C], ...},
   "tolerance": 1e-3, "made_with": "torch <version>, CPU"}
The tolerance (relative to the largest output) follows the model's parameter type unless given:
1e-3 for float32, 1e-2 for float16, 3e-2 for bfloat16 (CPUs with and without bf16 instructions
round differently).
Any model under the project's contract may carry one; the inputs are whatever the model takes
(here: the first four Fashion-MNIST test images, float32 in [0, 1]).

Usage: /usr/bin/python3 src/main/python/make_golden_outputs.py [MODEL.pt] [--tolerance T]   (Debian's python3-torch)
"""
import argparse
import base64
import gzip
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(__file__)
DEMO = os.path.join(HERE, "..", "resources", "demo", "fmnist-resnet.pt")
FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def tensor(a):
    a = np.ascontiguousarray(a, dtype="<f4")
    return {"shape": list(a.shape), "float32_le_base64": base64.b64encode(a.tobytes()).decode("ascii")}


def fashion_inputs(n=4):
    with gzip.open(FASHION, "rb") as f:
        raw = f.read()
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16)[: n * 784]
    return (pixels.astype(np.float32) / 255.0).reshape(n, 1, 28, 28)


def default_tolerance(model):
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    return {torch.bfloat16: 3e-2, torch.float16: 1e-2}.get(dtype, 1e-3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=DEMO)
    parser.add_argument("--tolerance", type=float, default=None)
    args = parser.parse_args()
    model_path = args.model
    card_path = os.path.splitext(model_path)[0] + ".json"
    model = torch.jit.load(model_path).eval()
    tolerance = args.tolerance if args.tolerance is not None else default_tolerance(model)
    x = fashion_inputs()
    with torch.no_grad():
        h, f = model(torch.from_numpy(x))
    card = json.load(open(card_path)) if os.path.exists(card_path) else {}
    card["golden"] = {"inputs": tensor(x), "features": tensor(h.float().numpy()), "logits": tensor(f.float().numpy()),
                      "tolerance": tolerance, "made_with": f"torch {torch.__version__}, CPU"}
    with open(card_path, "w") as out:
        json.dump(card, out, indent=2)
        out.write("\n")
    print(f"{card_path}: golden outputs of {x.shape[0]} inputs; logits[0] = {f[0].tolist()}")


if __name__ == "__main__":
    main()
