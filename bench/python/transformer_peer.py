"""PyTorch peer of the transformer bench: the same pre-norm tagger (word + suffix + shape + lexicon +
position embeddings, MHSA with separate Q/K/V/O, ReLU FFN, final LayerNorm, linear head), padded batches of
whole sentences with a key padding mask. Prints one JSON line: tokens/s for training (Adam, one pass over the
training sentences) and for evaluation (no_grad, the best of `evalPasses` passes over the evaluation
sentences), per thread count.

usage: transformer_peer.py LENGTHS_JSON   ({config, train: [len...], eval: [len...], batchTokens, threads: [..], evalPasses})
"""
import json
import sys
import time

import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.h = heads
        self.n1 = nn.LayerNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.n2 = nn.LayerNorm(d)
        self.fin, self.fout = nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x, pad):
        b, t, d = x.shape
        h = self.n1(x)
        split = lambda y: y.view(b, t, self.h, d // self.h).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        s = q @ k.transpose(-1, -2) / (d // self.h) ** 0.5
        s = s.masked_fill(pad[:, None, None, :], float("-inf"))
        a = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.o(a)
        return x + self.fout(torch.relu(self.fin(self.n2(x))))


class Tagger(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        self.word, self.suffix = nn.Embedding(c["vocab"], d), nn.Embedding(c["suffixes"], d)
        self.shape, self.pos = nn.Embedding(c["shapes"], d), nn.Embedding(c["maxLen"], d)
        self.lexicon = nn.Embedding(c["lexicon"], d)
        self.blocks = nn.ModuleList(Block(d, c["heads"], c["ffn"]) for _ in range(c["blocks"]))
        self.norm, self.head = nn.LayerNorm(d), nn.Linear(d, c["tags"])

    def forward(self, w, s, h, lx, pad):
        t = w.shape[1]
        x = self.word(w) + self.suffix(s) + self.shape(h) + self.lexicon(lx) + self.pos(torch.arange(t))[None]
        for blk in self.blocks:
            x = blk(x, pad)
        return self.head(self.norm(x))


def batches(lengths, batch_tokens, c, gen):
    out, cur = [], []
    for n in lengths:
        if cur and sum(cur) + n > batch_tokens:
            out.append(cur)
            cur = []
        cur.append(n)
    if cur:
        out.append(cur)
    made = []
    for lens in out:
        t = max(lens)
        pad = torch.arange(t)[None, :] >= torch.tensor(lens)[:, None]
        rnd = lambda m: torch.randint(0, m, (len(lens), t), generator=gen)
        made.append((rnd(c["vocab"]), rnd(c["suffixes"]), rnd(c["shapes"]), rnd(c["lexicon"]), rnd(c["tags"]), pad, sum(lens)))
    return made


def main():
    spec = json.load(open(sys.argv[1]))
    c = spec["config"]
    gen = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    train = batches(spec["train"], spec["batchTokens"], c, gen)
    evaluation = batches(spec["eval"], 2048, c, gen)
    result = {"torch": torch.__version__, "threads": {}}
    for threads in spec["threads"]:
        torch.set_num_threads(threads)
        model = Tagger(c)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss(reduction="mean")
        start, tokens = time.perf_counter(), 0
        for w, s, h, lx, y, pad, n in train:
            logits = model(w, s, h, lx, pad)
            loss = loss_fn(logits[~pad], y[~pad])
            opt.zero_grad()
            loss.backward()
            opt.step()
            tokens += n
        train_rate = tokens / (time.perf_counter() - start)
        eval_rate = 0
        model.eval()
        with torch.no_grad():
            for _ in range(spec.get("evalPasses", 1)):
                start, tokens = time.perf_counter(), 0
                for w, s, h, lx, y, pad, n in evaluation:
                    model(w, s, h, lx, pad).argmax(-1)
                    tokens += n
                eval_rate = max(eval_rate, tokens / (time.perf_counter() - start))
        result["threads"][str(threads)] = {"train": train_rate, "eval": eval_rate}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
