"""Export a seeded PyTorch MLP to ONNX (torch's own exporter) for the ONNX reader's cross-check.

Usage: torch_onnx_export.py OUT_DIR. Writes OUT_DIR/torch_mlp.onnx and prints JSON: the weights in
PyTorch's (out, in) layout per layer, the inputs and torch's outputs.
"""
import json
import sys

import torch

out = sys.argv[1]
torch.manual_seed(7)
model = torch.nn.Sequential(
    torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4, bias=False), torch.nn.ReLU(), torch.nn.Linear(4, 3), torch.nn.Softmax(dim=-1)
)
x = torch.randn(9, 6)
torch.onnx.export(model, x, f"{out}/torch_mlp.onnx", input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "n"}}, opset_version=13)
linears = [m for m in model if isinstance(m, torch.nn.Linear)]
print(json.dumps({
    "weights": [m.weight.detach().numpy().astype(float).tolist() for m in linears],
    "inputs": x.numpy().astype(float).tolist(),
    "outputs": model(x).detach().numpy().astype(float).tolist(),
}))
