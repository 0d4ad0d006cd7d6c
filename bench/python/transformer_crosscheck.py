"""Cross-check of the tagger engine (src/model/transformer/engine.ts) in PyTorch, in float64: the same
pre-norm encoder written with plain tensor ops on padded sentences with a key padding mask. Reads a JSON
file {config, tensors: {name: [values…]}, sentences: [{word, suffix, shape, lexicon, tag}]} (tensor
names and layouts as the engine's: `<layer>/kernel` [nIn, nOut] row-major, `<layer>/bias`,
`<norm>/gamma`, `<norm>/beta`), writes one JSON line: the logits of every token in sentence order, the
mean cross-entropy over the tokens and its gradient with respect to every tensor.

usage: transformer_crosscheck.py INPUT_JSON
"""
import json
import math
import sys

import torch


def main():
    spec = json.load(open(sys.argv[1]))
    c = spec["config"]
    d, heads = c["dim"], c["heads"]
    dh = d // heads
    p = {k: torch.tensor(v, dtype=torch.float64).requires_grad_() for k, v in spec["tensors"].items()}
    sentences = spec["sentences"]
    b, t = len(sentences), max(len(s["word"]) for s in sentences)
    ids = {f: torch.zeros(b, t, dtype=torch.long) for f in ("word", "suffix", "shape", "lexicon")}
    real = torch.zeros(b, t, dtype=torch.bool)
    for k, s in enumerate(sentences):
        n = len(s["word"])
        for f in ids:
            ids[f][k, :n] = torch.tensor(s[f])
        real[k, :n] = True

    def table(name, rows):
        return p[name + "/kernel"].view(rows, d)

    def dense(x, name):
        w = p[name + "/kernel"]
        n_out = p[name + "/bias"].numel()
        return x @ w.view(-1, n_out) + p[name + "/bias"]

    def norm(x, name):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + 1e-5) * p[name + "/gamma"] + p[name + "/beta"]

    x = (table("embed.word", c["vocab"])[ids["word"]] + table("embed.suffix", c["suffixes"])[ids["suffix"]]
         + table("embed.shape", c["shapes"])[ids["shape"]] + table("embed.lexicon", c["lexicon"])[ids["lexicon"]]
         + table("embed.position", c["maxLen"])[torch.arange(t)][None])
    split = lambda y: y.view(b, t, heads, dh).transpose(1, 2)
    for k in range(c["blocks"]):
        pre = f"block{k}"
        h = norm(x, pre + ".norm1")
        q, kk, v = (split(dense(h, f"{pre}.attn.{z}")) for z in "qkv")
        scores = (q @ kk.transpose(-1, -2)) / math.sqrt(dh)
        scores = scores.masked_fill(~real[:, None, None, :], float("-inf"))
        att = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + dense(att, pre + ".attn.o")
        x = x + dense(torch.relu(dense(norm(x, pre + ".norm2"), pre + ".ffn.in")), pre + ".ffn.out")
    logits = dense(norm(x, "final.norm"), "head")[real]
    gold = torch.cat([torch.tensor(s["tag"]) for s in sentences])
    loss = torch.nn.functional.cross_entropy(logits, gold, reduction="mean")
    loss.backward()
    print(json.dumps({
        "logits": logits.detach().reshape(-1).tolist(),
        "loss": loss.item(),
        "grads": {k: v.grad.reshape(-1).tolist() if v.grad is not None else [0.0] * v.numel() for k, v in p.items()},
    }))


if __name__ == "__main__":
    main()
