"""WeightWatcher's ESD conventions re-derived with numpy from its published source
(CalculatedContent/WeightWatcher, weightwatcher.py: conv2D_Wmats, apply_normalize_Wmats,
combined_eigenvalues, layer_supported; WW_powerlaw.py: WWFit), for the cross-check in
test/stats/spectral-conventions.test.ts. No code copied; the rules, as read there:

- a Conv2D kernel (PyTorch layout cout, cin, kh, kw) is kh·kw matrices W[:, :, i, j], one per kernel
  position; each is scaled by sqrt(1/2) (conv2d_norm, on by default), so its eigenvalues by 1/2;
  the squared singular values of all of them are pooled;
- a 2-D weight (Linear, a fused attention in_proj_weight) is one matrix;
- a layer with fewer than min_evals = 10 eigenvalues (M·rf) is skipped: no alpha;
- alpha: eigenvalues above 1e-5, every one but the largest tried as xmin, alpha = 1 + n / sum(ln(x/xmin))
  over the n values >= xmin, KS distance D = max |1 - (x/xmin)^(1-alpha) - arange(n)/n|, the smallest D wins;
- spectral_norm = lambda_max, stable_rank = sum(lambda) / lambda_max.

Reads JSON {shape, values} on stdin; writes JSON {eigenvalues, alpha, xmin, D, lambda_max, stable_rank, skipped}.
"""
import json
import sys

import numpy as np


def ww_eigenvalues(t):
    # in float64 before the scaling (WeightWatcher scales the framework's float32 array, which numpy 1.x
    # keeps in float32: a 1e-7 rounding that is not part of the convention)
    t = t.astype(np.float64)
    if t.ndim == 4:
        mats = [t[:, :, i, j] * np.sqrt(1 / 2) for i in range(t.shape[2]) for j in range(t.shape[3])]
    elif t.ndim == 2:
        mats = [t]
    else:
        raise ValueError("only 2-D and 4-D (Conv2D) weights")
    evals = np.concatenate([np.linalg.svd(m, compute_uv=False) ** 2 for m in mats])
    return np.sort(evals)


def ww_fit(evals, thresh=1e-5):
    x = np.sort(evals[evals > thresh])
    n = len(x)
    logs = np.log(x)
    alphas, ds = np.zeros(n - 1), np.ones(n - 1)
    for i in range(n - 1):
        m = n - i
        alphas[i] = 1 + m / (np.sum(logs[i:]) - m * logs[i])
        if alphas[i] > 1:
            ds[i] = np.max(np.abs(1 - (x[i:] / x[i]) ** (1 - alphas[i]) - np.arange(m) / m))
    k = int(np.argmin(ds))
    return float(alphas[k]), float(x[k]), float(ds[k])


def main():
    spec = json.load(sys.stdin)
    t = np.asarray(spec["values"], dtype=np.float32).reshape(spec["shape"])
    evals = ww_eigenvalues(t)
    out = {"eigenvalues": evals.tolist(), "lambda_max": float(evals[-1]), "stable_rank": float(np.sum(evals) / evals[-1])}
    if len(evals) < 10:
        out.update(skipped=True, alpha=None, xmin=None, D=None)
    else:
        alpha, xmin, d = ww_fit(evals)
        out.update(skipped=False, alpha=alpha, xmin=xmin, D=d)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
