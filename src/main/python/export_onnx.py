#!/usr/bin/python3
"""Export a TorchScript model under the project's contract as ONNX, with its card.

    /usr/bin/python3 src/main/python/export_onnx.py MODEL.pt --input-shape C,H,W [--out DIR/MODEL.onnx]

forward(x) -> (features, logits) is kept, the head's parameters keep their names as initializers
(fc.weight, fc.bias, ...), the batch axis is dynamic. The card beside MODEL.pt (MODEL.json), if any,
is copied beside the ONNX file with the new file name and SHA-256 and the source named under
"exported_from"; its golden outputs stay those PyTorch computed, so ONNX Runtime is checked against
PyTorch when the project loads the file. The project runs .onnx files on ONNX Runtime (README, 'Engines').
"""
import argparse
import hashlib
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_export  # noqa: E402


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def card_of(model_path):
    return os.path.splitext(model_path)[0] + ".json"


def export_file(model, input_shape, out=None):
    """Exports the TorchScript file `model` to `out` (default: beside it, .onnx) with its card; returns `out`."""
    out = out or os.path.splitext(model)[0] + ".onnx"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    net = torch.jit.load(model, map_location="cpu").eval().float()
    onnx_export.export(net, out + ".part", input_shape)
    os.replace(out + ".part", out)  # never a half-written model under the final name
    print("%s: %.1f MB" % (out, os.path.getsize(out) / 1e6))
    src_card = card_of(model)
    if os.path.isfile(src_card):
        with open(src_card) as f:
            card = json.load(f)
        card["exported_from"] = {"model": os.path.basename(model), "sha256": sha256(model),
                                 "with": "torch.onnx.export, opset %d, torch %s" % (onnx_export.OPSET,
                                                                                  torch.__version__)}
        card["model"] = os.path.basename(out)
        card["sha256"] = sha256(out)
        card["engine"] = "ONNX Runtime"
        with open(card_of(out), "w") as f:
            json.dump(card, f, indent=2)
            f.write("\n")
        print("card: %s (golden outputs from %s)" % (card_of(out), os.path.basename(src_card)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="TorchScript file under the contract")
    ap.add_argument("--input-shape", required=True, help="C,H,W of one input, e.g. 3,224,224")
    ap.add_argument("--out", help="the .onnx file to write (default: beside the model; its card is OUT's stem .json)")
    a = ap.parse_args()
    shape = tuple(int(x) for x in a.input_shape.split(","))
    if len(shape) != 3 or min(shape) <= 0:
        sys.exit("--input-shape must be C,H,W with positive sizes, got %r" % a.input_shape)
    export_file(a.model, shape, a.out)


if __name__ == "__main__":
    main()
