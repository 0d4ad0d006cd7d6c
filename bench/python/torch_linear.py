"""A small torch MLP saved as .safetensors the way PyTorch state dicts are (Linear weight (out, in)),
with a hand-written safetensors encoder (8-byte length, JSON header, data), and its outputs on
seeded inputs. For test/formats/torch.test.ts. Usage: torch_linear.py OUT.safetensors"""
import json
import struct
import sys

import torch


def save_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    head = json.dumps(header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for c in chunks:
            f.write(c)


def main():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.ReLU(), torch.nn.Linear(5, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    save_safetensors(sys.argv[1], model.state_dict())
    x = torch.randn(10, 7)
    with torch.no_grad():
        y = model(x)
    json.dump({"x": x.tolist(), "y": y.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
