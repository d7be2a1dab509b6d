"""Writes a network under the model contract, forward(x) -> (features [N,D], logits [N,C]), as ONNX.

The project runs .onnx files on ONNX Runtime (README, 'Engines'). The graph keeps the last linear layer's
parameters as initializers under their PyTorch names (fc.weight, fc.bias, ...), where the job reads W and b;
the batch axis is dynamic, since jobs run batches of any size.
"""
import torch

OPSET = 13  # ONNX Runtime 1.21 runs opsets 7-22; 13 is what torch 1.13 exports best (folded BatchNorm, Gemm heads)


def export(net, path, input_shape):
    """Exports `net` (in eval mode, float32) for inputs [N, *input_shape] to `path`."""
    net = net.eval()
    example = torch.zeros((1,) + tuple(input_shape))
    batch = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(net, example, path, input_names=["input"], output_names=["features", "logits"],
                          dynamic_axes={"input": batch, "features": batch, "logits": batch},
                          opset_version=OPSET, do_constant_folding=True)
    return path
