"""Baseline for bench/layers.ts: the eigenvalues of W Wᵀ (or Wᵀ W, the smaller Gram matrix) of
several float32 matrices, as numpy computes them (W in float64, the product by BLAS, then
numpy.linalg.eigvalsh), best of REPS runs per matrix.

Usage: python3 eigvalsh_baseline.py REPS FILE.f32:N:M [FILE.f32:N:M ...]; prints JSON
{"seconds": [best per matrix], "cpuSeconds": [best per matrix], "lambdaMax": [...], "threads": BLAS threads}.
"""
import json
import os
import sys
import time

import numpy as np


def main():
    reps = int(sys.argv[1])
    best, best_cpu, top = [], [], []
    for spec in sys.argv[2:]:
        path, n, m = spec.rsplit(":", 2)
        w32 = np.fromfile(path, dtype=np.float32).reshape(int(n), int(m))
        b, bc = float("inf"), float("inf")
        for _ in range(reps):
            t0, c0 = time.perf_counter(), time.process_time()
            w = w32.astype(np.float64)
            g = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
            ev = np.linalg.eigvalsh(g)
            b, bc = min(b, time.perf_counter() - t0), min(bc, time.process_time() - c0)
        best.append(b)
        best_cpu.append(bc)
        top.append(float(ev[-1]))
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    json.dump({"seconds": best, "cpuSeconds": best_cpu, "lambdaMax": top, "threads": threads}, sys.stdout)


if __name__ == "__main__":
    main()
