"""Eigenvalues of W^T W and the WeightWatcher-style power-law fit, computed with numpy, for the
cross-check in test/stats/spectral.test.ts and the bench. Reads JSON {nIn, nOut, weights} on stdin,
writes JSON {eigenvalues, alpha, xmin, ks, seconds, cpuSeconds} on stdout."""
import json
import sys
import time

import numpy as np


def csn_fit(evals, thresh=1e-5):
    """Clauset-Shalizi-Newman continuous MLE; xmin = the candidate with the smallest KS distance."""
    x = np.sort(evals[evals > thresh])
    n = len(x)
    best = (np.inf, np.nan, np.nan)
    logs = np.log(x)
    for i in range(n - 1):
        tail = x[i:]
        m = len(tail)
        alpha = 1.0 + m / np.sum(logs[i:] - logs[i])
        cdf_model = 1.0 - (tail / x[i]) ** (1.0 - alpha)
        cdf_data = np.arange(m) / m
        ks = np.max(np.abs(cdf_model - cdf_data))
        if ks < best[0]:
            best = (ks, alpha, x[i])
    return best


def main():
    spec = json.load(sys.stdin)
    w = np.asarray(spec["weights"], dtype=np.float64).reshape(spec["nIn"], spec["nOut"])
    t0, c0 = time.perf_counter(), time.process_time()
    evals = np.linalg.eigvalsh(w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    ks, alpha, xmin = csn_fit(np.maximum(evals, 0))
    json.dump({"eigenvalues": evals.tolist(), "alpha": alpha, "xmin": xmin, "ks": ks, "seconds": seconds, "cpuSeconds": cpu}, sys.stdout)


if __name__ == "__main__":
    main()
