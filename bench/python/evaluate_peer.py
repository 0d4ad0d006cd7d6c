#!/usr/bin/env python3
"""PyTorch peer of bench/evaluate.ts: accuracy of many noise-perturbed copies of a 784->64->2 ReLU
model on the MNIST 0v7 test set (2008 images, [-1, 1] inputs), test tensor resident, dense matmul.
Prints one JSON object with evaluations per second.

usage: evaluate_peer.py MNIST_DIR N_MODELS THREADS
"""
import json
import sys
import time

import numpy as np
import torch

from model_common import mnist_pair


def main():
    data_dir, n_models, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    xt, yt = mnist_pair(data_dir, "t10k", 0, 7)
    x, y = torch.from_numpy(xt), torch.from_numpy(yt)
    w1 = (torch.rand(784, 64, generator=g) * 2 - 1) / 28
    b1 = torch.zeros(64)
    w2 = (torch.rand(64, 2, generator=g) * 2 - 1) / 8
    b2 = torch.zeros(2)
    # Perturbed models drawn up front, as the TS bench does, so only evaluation is timed.
    models = [(w1 + (torch.rand(w1.shape, generator=g) * 2 - 1) * 0.01, b1, w2, b2) for _ in range(n_models)]
    accs = []
    with torch.no_grad():
        t = time.perf_counter()
        for a, b, c, d in models:
            logits = torch.relu(x @ a + b) @ c + d
            accs.append(float((logits.argmax(1) == y).float().mean()))
        dt = time.perf_counter() - t
    print(json.dumps({"torch": torch.__version__, "threads": threads, "n_test": len(x), "models": n_models,
                      "seconds": dt, "evaluations_per_second": n_models / dt}))


if __name__ == "__main__":
    main()
