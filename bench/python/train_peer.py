#!/usr/bin/env python3
"""PyTorch peer of bench/train.ts: the reference recipe (784->64->2 ReLU MLP, log-softmax + NLL,
Adam lr 0.01, CosineAnnealingLR T_max=10 stepped per epoch, batch 128) on MNIST 0v7, timed per
epoch on the CPU. Prints one JSON object.

usage: train_peer.py MNIST_DIR EPOCHS THREADS
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn

from model_common import mnist_pair


def main():
    data_dir, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y = mnist_pair(data_dir, "train", 0, 7)
    xt, yt = mnist_pair(data_dir, "t10k", 0, 7)
    x, y, xt = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(xt)
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 2), nn.LogSoftmax(dim=1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    loss_fn = nn.NLLLoss()
    # A DataLoader-free loop (the fastest fair version): shuffle indices, slice batches.
    seconds = []
    for _ in range(epochs):
        t = time.perf_counter()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        sched.step()
        seconds.append(time.perf_counter() - t)
    with torch.no_grad():
        acc = float((model(xt).argmax(1).numpy() == yt).mean())
    print(json.dumps({"torch": torch.__version__, "threads": threads, "n_train": len(x),
                      "epoch_seconds": seconds, "total_seconds": sum(seconds), "test_accuracy": acc}))


if __name__ == "__main__":
    main()
