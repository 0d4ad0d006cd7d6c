#!/usr/bin/env python3
"""PyTorch peer of bench/evaluate.ts: accuracy of many noise-perturbed copies of a 784->64->2 ReLU
model on the MNIST 0v7 test set (2008 images, [-1, 1] inputs), test tensor resident, dense matmul.
Prints one JSON object with evaluations per second.

Mode `whole`: one perturbed model per evaluation, accuracy only.
Mode `per-batch`: one perturbed model per test batch of 128 (batch b of the test set runs through
draw b), accuracy and the linear CKA of the hidden ReLU activations against the unperturbed model's
(float64, the reference side centred once, as the TS evaluator); draws made up front, cycled.
Mode `per-batch-draws` (what a sweep's noise evaluation does by default, the target): the same, but
every evaluation draws its 16 per-batch models inside the timed loop, U(-a, a) noise on every weight
and bias, a cycling over the sweep's 30 noise levels 2^-10 .. 1 (its cost does not depend on a): one
uniform_ over a preallocated (16, ...) tensor per parameter, then add_ of the trained values.

Also prints the process CPU seconds of the timed loop (all threads).

usage: evaluate_peer.py MNIST_DIR N_EVALUATIONS THREADS [whole|per-batch|per-batch-draws]
"""
import json
import sys
import time

import numpy as np
import torch

from model_common import mnist_pair

TEST_BATCH = 128
DRAWS = 64  # distinct per-batch models, drawn up front and cycled (as the TS bench)


def per_batch_setup(x, y, w1, b1):
    """Test batches, the unperturbed model's centred hidden activations (float64) and their norm."""
    starts = list(range(0, len(x), TEST_BATCH))
    xs = [x[s:s + TEST_BATCH] for s in starts]
    ys = [y[s:s + TEST_BATCH] for s in starts]
    ref = torch.relu(x @ w1 + b1).double()
    ref_c = ref - ref.mean(0)
    return starts, xs, ys, ref_c, torch.linalg.norm(ref_c.T @ ref_c), torch.empty(len(x), 64)


def linear_cka(hidden, ref_c, norm_xx):
    """Linear CKA of the hidden activations against the centred reference, in float64."""
    hc = hidden.double()
    hc = hc - hc.mean(0)
    cross = torch.linalg.norm(hc.T @ ref_c) ** 2
    return float(cross / (norm_xx * torch.linalg.norm(hc.T @ hc)))


def main():
    data_dir, n_models, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "whole"
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    xt, yt = mnist_pair(data_dir, "t10k", 0, 7)
    x, y = torch.from_numpy(xt), torch.from_numpy(yt)
    w1 = (torch.rand(784, 64, generator=g) * 2 - 1) / 28
    b1 = torch.zeros(64)
    w2 = (torch.rand(64, 2, generator=g) * 2 - 1) / 8
    b2 = torch.zeros(2)
    noise = lambda w: w + (torch.rand(w.shape, generator=g) * 2 - 1) * 0.01
    accs = []
    ckas = []
    with torch.no_grad():
        if mode == "whole":
            # Perturbed models drawn up front, as the TS bench does, so only evaluation is timed.
            models = [(noise(w1), b1, noise(w2), b2) for _ in range(n_models)]
            t, c0 = time.perf_counter(), time.process_time()
            for a, b, c, d in models:
                logits = torch.relu(x @ a + b) @ c + d
                accs.append(float((logits.argmax(1) == y).float().mean()))
            dt, cpu = time.perf_counter() - t, time.process_time() - c0
        elif mode == "per-batch-draws":
            starts, xs, ys, ref_c, norm_xx, hidden = per_batch_setup(x, y, w1, b1)
            levels = [2.0 ** (-10 + 10 * k / 29) for k in range(30)]
            # The 16 per-batch draws of an evaluation, preallocated: drawn in place, then the trained values added.
            d1, e1 = torch.empty(len(starts), 784, 64), torch.empty(len(starts), 64)
            d2, e2 = torch.empty(len(starts), 64, 2), torch.empty(len(starts), 2)
            t, c0 = time.perf_counter(), time.process_time()
            for i in range(n_models):
                a = levels[i % len(levels)]
                for d, base in ((d1, w1), (e1, b1), (d2, w2), (e2, b2)):
                    d.uniform_(-a, a, generator=g)
                    d.add_(base)
                correct = 0
                for k, s in enumerate(starts):
                    h = torch.relu(xs[k] @ d1[k] + e1[k])
                    hidden[s:s + len(h)] = h
                    correct += int(((h @ d2[k] + e2[k]).argmax(1) == ys[k]).sum())
                accs.append(correct / len(x))
                ckas.append(linear_cka(hidden, ref_c, norm_xx))
            dt, cpu = time.perf_counter() - t, time.process_time() - c0
        else:
            # A loop over the test batches: PyTorch's batched torch.bmm over the stacked draws was
            # measured 4x slower here (21 against 96 evaluations/s, 1 thread), so the loop is its best.
            draws = [(noise(w1), b1, noise(w2), b2) for _ in range(DRAWS)]
            starts, xs, ys, ref_c, norm_xx, hidden = per_batch_setup(x, y, w1, b1)
            t, c0 = time.perf_counter(), time.process_time()
            for i in range(n_models):
                correct = 0
                for k, s in enumerate(starts):
                    a, b, c, d = draws[(i * len(starts) + k) % DRAWS]
                    h = torch.relu(xs[k] @ a + b)
                    hidden[s:s + len(h)] = h
                    correct += int(((h @ c + d).argmax(1) == ys[k]).sum())
                accs.append(correct / len(x))
                ckas.append(linear_cka(hidden, ref_c, norm_xx))
            dt, cpu = time.perf_counter() - t, time.process_time() - c0
    print(json.dumps({"torch": torch.__version__, "threads": threads, "mode": mode, "n_test": len(x), "models": n_models,
                      "seconds": dt, "evaluations_per_second": n_models / dt, "cpu_seconds": cpu,
                      "mean_cka": float(np.mean(ckas)) if ckas else None}))


if __name__ == "__main__":
    main()
