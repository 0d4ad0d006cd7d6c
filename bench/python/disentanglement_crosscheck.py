"""Independent numpy re-derivation of weightscope's representation metrics, for cross-checks.

Reads JSON {"h": [row-major n × p], "z": [row-major n × D], "n", "p", "D", "bins", "ridge",
"oodRidge", "testRows": [...], "labels": [...]} on stdin and prints JSON with the out-of-distribution
r² per held-out orthant (the centred normal equations solved by numpy), MIG (np.histogram/np.digitize bins, mutual information from the
contingency table) and DCI (ridge regression on standardised codes and factors, entropies of the
normalised importances), each written from the definition in docs/multitask.md. With "labels", also
the L2-regularised logistic regression's weights by scipy's L-BFGS (a different optimiser). Used by
test/stats/disentanglement-python.test.ts.
"""
import json
import sys

import numpy as np


def ood(h, z, ridge):
    n, d = z.shape
    orthant = (z > 0).astype(int) @ (1 << np.arange(d))
    out = []
    for o in range(2 ** d):
        test = orthant == o
        # least squares with an intercept and a vanishing ridge (λ = ridge · mean variance): the
        # ridge only decides directions without variance, where plain least squares has no answer
        xm, zm = h[~test].mean(axis=0), z[~test].mean(axis=0)
        xc = h[~test] - xm
        g = xc.T @ xc
        w = np.linalg.solve(g + ridge * np.trace(g) / g.shape[0] * np.eye(g.shape[0]), xc.T @ (z[~test] - zm))
        pred = (h[test] - xm) @ w + zm
        centre = np.where((o >> np.arange(d)) & 1, 0.25, -0.25)
        mse = np.mean((pred - z[test]) ** 2)
        out.append({"orthant": o, "r2": 1 - mse * 12, "r2Centre": 1 - mse / np.mean((centre - z[test]) ** 2)})
    return out


def discretize(col, bins):
    return np.digitize(col, np.histogram(col, bins)[1][:-1])


def mutual_info(a, b):
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1))
    np.add.at(table, (ai, bi), 1)
    p = table / table.sum()
    pa = p.sum(axis=1, keepdims=True)
    pb = p.sum(axis=0, keepdims=True)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / (pa @ pb)[nz])))


def mig(h, z, bins):
    codes = [discretize(h[:, i], bins) for i in range(h.shape[1])]
    factors = [discretize(z[:, j], bins) for j in range(z.shape[1])]
    m = np.array([[mutual_info(c, f) for f in factors] for c in codes])
    entropy = np.array([mutual_info(f, f) for f in factors])
    top = np.sort(m, axis=0)[::-1]
    return float(np.mean((top[0] - top[1]) / entropy)), m.tolist()


def entropy_base(p, base):
    p = p / p.sum()
    return float(-np.sum(p[p > 0] * np.log(p[p > 0])) / np.log(base))


def dci(h, z, test_rows, ridge):
    n = h.shape[0]
    test = np.zeros(n, bool)
    test[test_rows] = True
    train = ~test

    def standardise(m):
        mean = m[train].mean(axis=0)
        sd = m[train].std(axis=0)
        safe = np.where(sd > 0, sd, 1)
        return np.where(sd > 0, (m - mean) / safe, 0.0)

    x, y = standardise(h), standardise(z)
    xc = x[train] - x[train].mean(axis=0)
    yc = y[train] - y[train].mean(axis=0)
    g = xc.T @ xc
    lam = ridge * np.trace(g) / g.shape[0]
    w = np.linalg.solve(g + lam * np.eye(g.shape[0]), xc.T @ yc)
    b = y[train].mean(axis=0) - x[train].mean(axis=0) @ w
    r = np.abs(w)
    codes, factors = r.shape
    per_code = np.array([1 - entropy_base(r[i] + 1e-11, factors) for i in range(codes)])
    per_factor = np.array([1 - entropy_base(r[:, j] + 1e-11, codes) for j in range(factors)])
    d = float(np.sum(per_code * r.sum(axis=1) / r.sum()))
    c = float(np.sum(per_factor * r.sum(axis=0) / r.sum()))
    pred = x[test] @ w + b
    yt = y[test]
    info = float(np.mean(1 - ((pred - yt) ** 2).sum(axis=0) / ((yt - yt.mean(axis=0)) ** 2).sum(axis=0)))
    return {"disentanglement": d, "completeness": c, "informativeness": info, "importance": r.tolist()}


def logistic(h, labels, l2):
    from scipy.optimize import minimize

    mean, sd = h.mean(axis=0), h.std(axis=0)
    x = np.where(sd > 0, (h - mean) / np.where(sd > 0, sd, 1), 0.0)
    x = np.hstack([x, np.ones((x.shape[0], 1))])
    y = labels.astype(float)

    def f(w):
        s = x @ w
        loss = np.sum(np.logaddexp(0, s) - y * s) + 0.5 * l2 * np.sum(w[:-1] ** 2)
        grad = x.T @ (1 / (1 + np.exp(-s)) - y)
        grad[:-1] += l2 * w[:-1]
        return loss, grad

    res = minimize(f, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 20000})
    w = res.x
    weights = np.where(sd > 0, w[:-1] / np.where(sd > 0, sd, 1), 0.0)
    intercept = float(w[-1] - np.sum(np.where(sd > 0, w[:-1] * mean / np.where(sd > 0, sd, 1), 0.0)))
    return {"weights": weights.tolist(), "intercept": intercept, "objective": float(res.fun)}


def main():
    d = json.load(sys.stdin)
    h = np.array(d["h"], dtype=float).reshape(d["n"], d["p"])
    z = np.array(d["z"], dtype=float).reshape(d["n"], d["D"])
    out = {"ood": ood(h, z, d["oodRidge"])}
    out["mig"], out["mutualInformation"] = mig(h, z, d["bins"])
    out["dci"] = dci(h, z, np.array(d["testRows"], dtype=int), d["ridge"])
    if "labels" in d:
        out["logistic"] = logistic(h, np.array(d["labels"]), 1.0)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
